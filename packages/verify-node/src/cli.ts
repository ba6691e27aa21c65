#!/usr/bin/env node
import { daemonCli, loadDaemonConfig, runCliAction } from "@opg/runtime";
import { InvalidArgumentError } from "commander";
import type { Hex } from "viem";
import { verifyNodeConfig } from "./config.js";
import { VERSION } from "./version.js";
import type { CeremonyCommandOptions } from "./zk/ceremonyCommands.js";

/** `opg-verify init | register | start | status | zk contribute | zk rebuild`. */
const program = daemonCli({
  name: "opg-verify",
  description: "opg verifier node: checks gossiped results, agrees on batches, settles them on chain",
  version: VERSION,
  schema: verifyNodeConfig,
  role: "verifier",
  start: async (config, logger) => {
    const { VerifyNode } = await import("./VerifyNode.js"); // the daemon's modules load only for `start`
    const node = await VerifyNode.create(config, { logger });
    await node.start();
    return node;
  },
});

function intOption(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} takes an integer; got "${value}".`);
  return n;
}

function listingArg(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError("a listing id is 0x + 64 hex digits");
  return value.toLowerCase() as Hex;
}

type ZkOpts = {
  ceremony?: string;
  from?: string[];
  announceTo?: string[];
  onnx: string;
  ptau?: string;
  scaleBits?: number;
  valueBits?: number;
  minContributors?: number;
};

const zk = program.command("zk").description("the phase-2 setup ceremony of a model listing's ZK circuit");
const withCeremony = (c: ReturnType<typeof zk.command>) =>
  c
    .option(
      "--ceremony <dir>",
      "the ceremony directory (ceremony.json and zkeys/<sha256>.zkey; default <dataDir>/zk-ceremonies/<listing>, served by the daemon)",
    )
    .option(
      "--from <url>",
      "a peer's opg-verify HTTP API to fetch the ceremony from when newer there (checked: members' signatures, size, sha256, zkey verify); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .requiredOption("--onnx <file>", "the model's ONNX file (the circuit is rebuilt from it)")
    .option("--ptau <file>", "the pinned phase-1 powers of tau (default: the development one, devnets only)")
    .option("--scale-bits <n>", "compile option the listing was built with", (v) =>
      intOption("--scale-bits", v),
    )
    .option("--value-bits <n>", "compile option the listing was built with", (v) =>
      intOption("--value-bits", v),
    );

const run =
  (fn: (o: CeremonyCommandOptions & ZkOpts) => Promise<unknown>) => (listing: string, opts: ZkOpts) =>
    runCliAction(async () => {
      if (!opts.ptau)
        process.stderr.write("zk: using the development powers-of-tau: devnets and tests only\n");
      // The setup's BN254 worker threads would keep the CLI alive.
      const { terminateZkEngine } = await import("@opg/zk");
      const out = await fn(opts).finally(terminateZkEngine);
      process.stdout.write(
        `${JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
      );
      void listing;
    });

withCeremony(zk.command("contribute <listing>"))
  .description(
    "fetch the ceremony's latest step (--from), check it against the rebuilt circuit, add this verifier's signed contribution and announce it (--announce-to)",
  )
  .option(
    "--announce-to <url>",
    "an opg-verify HTTP API (a peer's, or this node's daemon) to announce the new zkey to; it fetches the zkey by hash from this node's ceremonyPublicUrl; repeatable",
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .action((listing: string, opts: ZkOpts) =>
    run(async (o) => {
      const { zkContribute } = await import("./zk/ceremonyCommands.js");
      return zkContribute(loadDaemonConfig(verifyNodeConfig, program.opts()), listingArg(listing), o);
    })(listing, opts),
  );

withCeremony(zk.command("rebuild <listing>"))
  .description(
    "rebuild the circuit, verify the closed ceremony and the listing's key hash, install the keys if this verifier's policy accepts them, sign the seal",
  )
  .option(
    "--min-contributors <n>",
    "verifier-set contributions required without our own (default f + 1)",
    (v) => intOption("--min-contributors", v),
  )
  .action((listing: string, opts: ZkOpts) =>
    run(async (o) => {
      const { zkRebuild } = await import("./zk/ceremonyCommands.js");
      const out = await zkRebuild(loadDaemonConfig(verifyNodeConfig, program.opts()), listingArg(listing), o);
      if (!out.accepted) process.exitCode = 1;
      return out;
    })(listing, opts),
  );

await program.parseAsync(process.argv);
