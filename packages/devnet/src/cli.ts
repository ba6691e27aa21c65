#!/usr/bin/env node
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { ComposeDevnet } from "./ComposeDevnet.js";
import { Devnet } from "./Devnet.js";
import { demoTable, runDemo } from "./demo.js";
import { mnistZkModel, mnistZkRequested } from "./mnistZk.js";
import { devnetModels } from "./models.js";
import { formatTable } from "./table.js";

type Options = {
  keep?: boolean;
  demo: boolean;
  dir: string;
  freePorts?: boolean;
  zkSetup: "ceremony" | "example";
  readyTimeoutMs: number;
  docker?: boolean;
  down?: boolean;
  mnistZk?: boolean;
};

/** The repository root (this file is packages/devnet/dist/cli.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * `--docker`: docker/compose.yml built and run, then the native devnet's demo from the host
 * (through the published ports) and its table. Ctrl-C, the end of the demo (without `--keep`) and
 * `--down` remove the containers and volumes.
 */
async function composeDevnet(opts: Options): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const devnet = new ComposeDevnet({ root: ROOT, log });
  if (opts.down) {
    await devnet.down();
    return;
  }
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("removing the compose devnet (containers, network, volumes)…");
    await devnet.down().catch((err: unknown) => process.stderr.write(`${String(err)}\n`));
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);
  try {
    let t0 = performance.now();
    await devnet.build();
    const buildS = seconds(t0);
    t0 = performance.now();
    // A fresh chain and fresh data dirs, like the native devnet's.
    await devnet.down();
    await devnet.up();
    const upS = seconds(t0);
    if (opts.demo) {
      t0 = performance.now();
      const rows = await runDemo(await devnet.demoNetwork(), log);
      log(`\n${demoTable(rows)}\n`);
      log(`image made in ${buildS} s; network up in ${upS} s; demo in ${seconds(t0)} s`);
    }
  } catch (err) {
    process.stderr.write(
      `compose devnet failed: ${err instanceof Error ? err.message : String(err)}\nlogs: ${devnet.composeArgs(["logs"]).join(" ")}\n`,
    );
    await stop(1);
    return;
  }
  if (!opts.keep) {
    await stop(0);
    return;
  }
  log(
    `${formatTable(["endpoint", "address"], Object.entries(devnet.endpoints(await devnet.summary())))}\n\nthe compose devnet is running; Ctrl-C (or scripts/devnet --down) removes it`,
  );
  // The containers run on their own: stay here until Ctrl-C.
  setInterval(() => {}, 1 << 30);
}

const program = new Command("opg-devnet")
  .description(
    "the whole opg network on this machine: chain, contracts, 2 opg-exec, 3 opg-verify, and a demo",
  )
  .option("--keep", "leave the network running after the demo, with every endpoint printed (Ctrl-C stops it)")
  .option("--no-demo", "start the network without running the demo")
  .option(
    "--dir <dir>",
    "state and logs of every process",
    join(".devnet", new Date().toISOString().replace(/[:.]/g, "-")),
  )
  .option("--free-ports", "use free ports instead of the fixed devnet ports (8545, 8645…, 8745…)")
  .option(
    "--ready-timeout-ms <ms>",
    "how long each daemon may take to get ready (a loaded machine may need more)",
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("a positive number of milliseconds");
      return n;
    },
    60_000,
  )
  .addOption(
    new Option(
      "--zk-setup <how>",
      "the ZK models' keys: `ceremony` (the verifiers' phase-2 ceremony at start-up) or `example` (the committed single-party key, sealed as it is: faster)",
    )
      .choices(["ceremony", "example"])
      .default("ceremony"),
  )
  .option(
    "--docker",
    "the same network in containers (docker/compose.yml): make its image from this workspace (docker/devnet-image), start it, run the demo from here through the published ports",
  )
  .option("--down", "remove the compose devnet's containers, network and volumes, then exit")
  .option(
    "--mnist-zk",
    "also serve mnist-cnn in ZK mode, with a demo row classifying a digit by an on-chain proof (or OPG_DEVNET_MNIST_ZK=1); needs a 2^16 powers of tau, generated once into the ZK cache when missing (≈ 20 min)",
  )
  .action(async (opts: Options) => {
    const mnistZk = mnistZkRequested(opts.mnistZk);
    if (opts.docker || opts.down) {
      if (mnistZk)
        throw new InvalidArgumentError("--mnist-zk runs on the native devnet only, not with --docker.");
      await composeDevnet(opts);
      return;
    }
    const dir = resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const devnet = await Devnet.start({
      dir,
      models: mnistZk ? [...devnetModels(), await mnistZkModel(log)] : devnetModels(),
      ports: opts.freePorts ? "free" : "fixed",
      zkSetup: opts.zkSetup,
      readyTimeoutMs: opts.readyTimeoutMs,
      log,
    });
    if (devnet.explorerUrl) log(`explorer: ${devnet.explorerUrl} (open it in a browser)`);
    let stopping = false;
    const stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      log("stopping the devnet…");
      await devnet.stop();
      process.exit(code);
    };
    process.on("SIGINT", () => void stop(0));
    process.on("SIGTERM", () => void stop(0));
    try {
      if (opts.demo) {
        const rows = await runDemo(devnet.demoNetwork(), log);
        log(`\n${demoTable(rows)}\n`);
      }
    } catch (err) {
      process.stderr.write(
        `demo failed: ${err instanceof Error ? err.message : String(err)}\nlogs: ${devnet.logDir}\n`,
      );
      await stop(1);
      return;
    }
    if (!opts.keep) {
      await stop(0);
      return;
    }
    const endpoints = devnet.endpoints();
    log(
      `${formatTable(["endpoint", "address"], Object.entries(endpoints))}\n\nthe devnet is running; Ctrl-C stops it`,
    );
  });

await program.parseAsync(process.argv);
