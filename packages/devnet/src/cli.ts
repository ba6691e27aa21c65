#!/usr/bin/env node
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { Devnet } from "./Devnet.js";
import { demoTable, runDemo } from "./demo.js";
import { devnetModels } from "./models.js";
import { formatTable } from "./table.js";

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
  .action(async (opts: { keep?: boolean; demo: boolean; dir: string; freePorts?: boolean }) => {
    const dir = resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const devnet = await Devnet.start({
      dir,
      models: devnetModels(),
      ports: opts.freePorts ? "free" : "fixed",
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
        const rows = await runDemo(devnet, log);
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
