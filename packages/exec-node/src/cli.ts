#!/usr/bin/env node
import { resolve } from "node:path";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { createLogger } from "@opg/daemon";
import { InferenceEngine } from "@opg/inference";
import {
  daemonCli,
  loadConfiguredDeployment,
  loadDaemonConfig,
  loadSigner,
  runCliAction,
} from "@opg/runtime";
import { buildZkModel, terminateZkEngine, weightsCommitmentBytes32 } from "@opg/zk";
import { InvalidArgumentError } from "commander";
import { parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type ExecNodeConfig, execNodeConfig } from "./config.js";
import { ExecNode, engineOptions, VERSION, zkArtifactRoots } from "./ExecNode.js";
import { registerZkModel } from "./zk/registerZkModel.js";

/** `opg-exec init | register | models add|list|remove | start | status`. */
const program = daemonCli({
  name: "opg-exec",
  description: "opg execution node: runs ONNX models, signs and proves results, gossips them to verifiers",
  version: VERSION,
  schema: execNodeConfig,
  role: "executor",
  start: async (config, logger) => {
    const node = await ExecNode.create(config, { logger });
    await node.start();
    return node;
  },
});

const models = program.command("models").description("the node's model store");

/** Runs a `models` action on the node's store; errors become one clear line and exit code 1. */
function withStore(fn: (engine: InferenceEngine, config: ExecNodeConfig) => Promise<void>): Promise<void> {
  return runCliAction(async () => {
    const config = loadDaemonConfig(execNodeConfig, program.opts());
    const engine = new InferenceEngine({ ...engineOptions(config), preload: [], warmup: false });
    await engine.store.open();
    await fn(engine, config);
  });
}

models
  .command("add <file>")
  .description("copy an ONNX file into the store; its model id is the sha256 of its bytes")
  .option("--name <name>", "a readable name")
  .option("--batching", "enable dynamic batching for it (needs a batch dimension)")
  .option(
    "--zk",
    "also serve it in ZK mode: compile the circuit, run the Groth16 setup, deploy its verifier contracts and create a listing in the ModelRegistry (its id is printed as zk.listingId)",
  )
  .option("--scale-bits <n>", "ZK fixed-point scale 2^n", (v) => intOption("--scale-bits", v))
  .option("--value-bits <n>", "ZK value range in bits", (v) => intOption("--value-bits", v))
  .option(
    "--ptau <file>",
    "ZK powers-of-tau ceremony file (default: the development one, not for production)",
  )
  .option("--no-onchain", "with --zk: build the artifacts only, deploy and register nothing")
  .option("--price <eth>", "with --zk: price per request of the new listing", "0")
  .option("--metadata-uri <uri>", "with --zk: metadata URI of the new listing", "")
  .action((file: string, opts: AddOptions) =>
    withStore(async (engine, config) => {
      const entry = await engine.addModel(file, {
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.batching ? { batching: { enabled: true } } : {}),
      });
      const zk = opts.zk ? await addZkModel(file, opts, config) : undefined;
      process.stdout.write(`${JSON.stringify({ ...entry, ...(zk ? { zk } : {}) }, null, 2)}\n`);
    }),
  );

models
  .command("list")
  .description("list the stored models")
  .action(() =>
    withStore(async (engine) => {
      process.stdout.write(`${JSON.stringify(engine.store.list(), null, 2)}\n`);
    }),
  );

models
  .command("remove <modelId>")
  .description("remove a model from the store")
  .action((modelId: string) =>
    withStore(async (engine) => {
      const removed = await engine.removeModel(modelId);
      process.stdout.write(`${JSON.stringify({ modelId, removed })}\n`);
      if (!removed) process.exitCode = 1;
    }),
  );

type AddOptions = {
  name?: string;
  batching?: boolean;
  zk?: boolean;
  scaleBits?: number;
  valueBits?: number;
  ptau?: string;
  onchain: boolean;
  price: string;
  metadataUri: string;
};

function intOption(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} takes an integer; got "${value}".`);
  return n;
}

/** `models add --zk`: artifacts into the node's ZK artifact folder, then (unless --no-onchain) contracts and registry. */
async function addZkModel(file: string, opts: AddOptions, config: ExecNodeConfig) {
  const log = (line: string) => process.stderr.write(`zk: ${line}\n`);
  if (!opts.ptau) log("using the development powers-of-tau: fine for devnets, never for production");
  const artifacts = await buildZkModel(file, {
    cacheDir: zkArtifactRoots(config)[0]!,
    ...(opts.scaleBits !== undefined ? { scaleBits: opts.scaleBits } : {}),
    ...(opts.valueBits !== undefined ? { valueBits: opts.valueBits } : {}),
    ...(opts.ptau ? { ptauPath: resolve(opts.ptau) } : {}),
    onLog: log,
  }).finally(terminateZkEngine); // the setup's BN254 worker threads would keep the CLI alive
  const built = {
    artifactKey: artifacts.manifest.artifactKey,
    dir: artifacts.dir,
    constraints: artifacts.manifest.constraints,
    weightsCommitment: weightsCommitmentBytes32(artifacts.manifest.weightsCommitment),
  };
  if (!opts.onchain) return built;
  const signer = await loadSigner(config);
  const deployment = await loadConfiguredDeployment(config);
  const client = createChainClient({ rpcUrl: config.chain.rpcUrl, chainId: config.chain.chainId });
  const sender = new TxSender(
    { chainId: config.chain.chainId },
    { client, account: privateKeyToAccount(signer.privateKey), logger: createLogger({ level: "warn" }) },
  );
  sender.start();
  try {
    const registration = await registerZkModel(
      artifacts,
      { price: parseEther(opts.price), metadataURI: opts.metadataUri },
      {
        contracts: new OpgContracts(deployment, { client, sender }),
        account: signer.address,
        deploy: (initCode, label) => sender.deployContract(initCode, label),
        onLog: log,
      },
    );
    return { ...built, ...registration };
  } finally {
    sender.stop();
  }
}

await program.parseAsync(process.argv);
