#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ChainRetryableError, createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { createLogger } from "@opg/daemon";
import type { InferenceEngine } from "@opg/inference";
import { modelIdFromBytes, OpgError, ProofMode } from "@opg/protocol";
import {
  CEREMONIES_DIR,
  cliMessage,
  daemonCli,
  dataPath,
  isDevnetChain,
  loadConfiguredDeployment,
  loadDaemonConfig,
  loadSigner,
  runCliAction,
} from "@opg/runtime";
import { InvalidArgumentError } from "commander";
import { type Address, type Hex, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type ExecNodeConfig, execNodeConfig } from "./config.js";
import { engineOptions, VERSION } from "./engineOptions.js";
import { parseModes, registerModel } from "./models/registerModel.js";

/** `opg-exec init | register | models add|list|remove | start | status`. */
const program = daemonCli({
  name: "opg-exec",
  description: "opg execution node: runs ONNX models, signs and proves results, gossips them to verifiers",
  version: VERSION,
  schema: execNodeConfig,
  role: "executor",
  start: async (config, logger) => {
    const { ExecNode } = await import("./ExecNode.js"); // the daemon's modules load only for `start`
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
    const { InferenceEngine } = await import("@opg/inference"); // onnxruntime: only for `models`
    const engine = new InferenceEngine({ ...engineOptions(config), preload: [], warmup: false });
    await engine.store.open();
    await fn(engine, config);
  });
}

models
  .command("add <file>")
  .description(
    "copy an ONNX file into the store (its model id is the sha256 of its bytes); with --register, also put it on chain",
  )
  .option("--name <name>", "a readable name")
  .option("--batching", "enable dynamic batching for it (needs a batch dimension)")
  .option(
    "--register",
    "also register it in the ModelRegistry with --modes and --price (as `models register` does)",
  )
  .option("--modes <list>", "with --register: proof modes served, comma-separated: none, zk, tee", "none")
  .option(
    "--zk",
    "also serve it in ZK mode: compile the circuit, create a listing in the ModelRegistry (its id is printed as zk.listingId) and start its phase-2 setup ceremony among the verifiers (the next steps are printed)",
  )
  .option(
    "--solo-setup",
    "with --zk, devnets (chain id 31337) and tests only: run the whole phase 2 alone and list the key at once (whoever runs it could forge proofs)",
  )
  .option("--scale-bits <n>", "ZK fixed-point scale 2^n", (v) => intOption("--scale-bits", v))
  .option("--value-bits <n>", "ZK value range in bits", (v) => intOption("--value-bits", v))
  .option(
    "--ptau <file>",
    "ZK powers-of-tau ceremony file (default: the development one, not for production)",
  )
  .option("--no-onchain", "with --zk: build the artifacts only, deploy and register nothing")
  .option("--price <eth>", "price per request in ETH of the listing (created or updated)", "0")
  .option("--metadata-uri <uri>", "metadata URI of a new listing", "")
  .option(
    "--measurement <pcrHash...>",
    "with TEE mode: enclave measurements to allow (default: this node's dev enclave when tee.enabled)",
  )
  .action((file: string, opts: AddOptions) =>
    withStore(async (engine, config) => {
      const entry = await engine.addModel(file, {
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.batching ? { batching: { enabled: true } } : {}),
      });
      const modes = opts.register ? parseModes(opts.modes) : [];
      const wantsZk = opts.zk === true || modes.includes(ProofMode.ZK);
      const zk = wantsZk ? await addZkModel(file, opts, config) : undefined;
      const registration = opts.register
        ? await registerTerms(config, entry.modelId as Hex, modes, opts)
        : undefined;
      process.stdout.write(
        `${JSON.stringify({ ...entry, ...(zk ? { zk } : {}), ...(registration ? { registration } : {}) }, null, 2)}\n`,
      );
    }),
  );

models
  .command("zk-finish <listing>")
  .description(
    "close this node's listing's ZK ceremony with the random beacon (a block mined after every contribution), install the final keys, deploy their verifier contracts and enable ZK on the listing",
  )
  .requiredOption("--onnx <file>", "the model's ONNX file (the circuit is rebuilt from it)")
  .option("--ptau <file>", "the pinned phase-1 powers of tau (default: the development one, devnets only)")
  .option("--scale-bits <n>", "ZK fixed-point scale 2^n", (v) => intOption("--scale-bits", v))
  .option("--value-bits <n>", "ZK value range in bits", (v) => intOption("--value-bits", v))
  .option(
    "--from <url>",
    "a verifier's opg-verify HTTP API to fetch the contributed ceremony from (checked: members' signatures, size, sha256, zkey verify); repeatable",
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .action(
    (
      listing: string,
      opts: { onnx: string; ptau?: string; scaleBits?: number; valueBits?: number; from?: string[] },
    ) =>
      runCliAction(async () => {
        const config = loadDaemonConfig(execNodeConfig, program.opts());
        const log = (line: string) => process.stderr.write(`zk: ${line}\n`);
        const ptauPath = await zkPtau(config, opts, log);
        const { finishZkCeremony } = await import("./zk/zkCeremony.js");
        const { terminateZkEngine } = await import("@opg/zk");
        const { zkArtifactRoots } = await import("./ExecNode.js");
        const out = await withChain(config, (chain) =>
          finishZkCeremony(
            listingArg(listing),
            resolve(opts.onnx),
            {
              scaleBits: opts.scaleBits,
              valueBits: opts.valueBits,
              ptauPath,
              ceremoniesRoot: ceremoniesRoot(config),
              artifactsRoot: zkArtifactRoots(config)[0]!,
              from: opts.from,
            },
            {
              contracts: chain.contracts,
              account: chain.account,
              sender: chain.sender,
              block: async (n) => {
                const b = await chain.client.getBlock(n === undefined ? {} : { blockNumber: n });
                return { number: b.number, hash: b.hash };
              },
              onLog: log,
            },
          ),
        ).finally(terminateZkEngine);
        log(
          `listing ${out.listingId} serves ZK with key ${out.vkHash}; settleWithProof needs it sealed: each verifier runs \`opg-verify zk rebuild ${out.listingId}\`, then \`opg-exec models zk-seal ${out.listingId} --transcript-hash ${out.transcriptHash} --signature …\``,
        );
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      }),
  );

models
  .command("zk-seal <listing>")
  .description(
    "submit f + 1 verifiers' seal signatures (from their `opg-verify zk rebuild`) for the listing's ZK key; anyone may",
  )
  .requiredOption("--transcript-hash <hash>", "sha256 of the ceremony's final zkey (0x + 64 hex digits)")
  .requiredOption("--signature <sig...>", "the verifiers' seal signatures")
  .action((listing: string, opts: { transcriptHash: string; signature: string[] }) =>
    runCliAction(async () => {
      const config = loadDaemonConfig(execNodeConfig, program.opts());
      if (!/^0x[0-9a-fA-F]{64}$/.test(opts.transcriptHash))
        throw new InvalidArgumentError("--transcript-hash is 0x + 64 hex digits");
      for (const sig of opts.signature)
        if (!/^0x[0-9a-fA-F]{130}$/.test(sig))
          throw new InvalidArgumentError("a --signature is 0x + 130 hex digits (65 bytes)");
      const { sealZkListing } = await import("./zk/zkCeremony.js");
      const out = await withChain(config, (chain) =>
        sealZkListing(
          listingArg(listing),
          opts.transcriptHash as Hex,
          opts.signature as Hex[],
          chain.contracts,
        ),
      );
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    }),
  );

function listingArg(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError("a listing id is 0x + 64 hex digits");
  return value.toLowerCase() as Hex;
}

models
  .command("register <modelIdOrFile>")
  .description(
    "register a model in the ModelRegistry (or update the modes and price of one this node's key owns); ZK mode needs `models add --zk` first",
  )
  .requiredOption("--modes <list>", "proof modes served, comma-separated: none, zk, tee")
  .option("--price <eth>", "price per request in ETH", "0")
  .option("--metadata-uri <uri>", "metadata URI", "")
  .option(
    "--measurement <pcrHash...>",
    "with TEE mode: enclave measurements to allow (default: this node's dev enclave when tee.enabled)",
  )
  .action((idOrFile: string, opts: RegisterOptions) =>
    runCliAction(async () => {
      const config = loadDaemonConfig(execNodeConfig, program.opts());
      const modelId = /^0x[0-9a-fA-F]{64}$/.test(idOrFile)
        ? (idOrFile.toLowerCase() as Hex)
        : modelIdFromBytes(readFileSync(idOrFile));
      const registration = await registerTerms(config, modelId, parseModes(opts.modes), opts);
      process.stdout.write(`${JSON.stringify(registration, null, 2)}\n`);
    }),
  );

models
  .command("inspect <file>")
  .description(
    "with --zk: compile an ONNX file to its circuit (no setup) and print where the constraints go, per layer",
  )
  .option("--zk", "report the ZK circuit (the only report so far)")
  .option("--scale-bits <n>", "ZK fixed-point scale 2^n", (v) => intOption("--scale-bits", v))
  .option("--value-bits <n>", "ZK value range in bits", (v) => intOption("--value-bits", v))
  .option("--json", "print the report as JSON")
  .action(
    async (file: string, opts: { zk?: boolean; scaleBits?: number; valueBits?: number; json?: boolean }) => {
      if (!opts.zk) throw new InvalidArgumentError("models inspect needs --zk.");
      const { terminateZkEngine } = await import("@opg/zk");
      const { compileModel, constraintReport, formatConstraintReport } = await import("@opg/zk/toolchain");
      const compiled = await compileModel(new Uint8Array(await readFile(resolve(file))), {
        ...(opts.scaleBits !== undefined ? { scaleBits: opts.scaleBits } : {}),
        ...(opts.valueBits !== undefined ? { valueBits: opts.valueBits } : {}),
      });
      const report = constraintReport(compiled.spec);
      const head = {
        modelId: compiled.modelId,
        artifactKey: compiled.artifactKey,
        scaleBits: compiled.spec.scaleBits,
        input: compiled.spec.input,
        constraints: report.total,
        ceremony: `2^${Math.max(1, Math.ceil(Math.log2(report.total + 5)))}`,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...head, layers: report.rows }, null, 2)}\n`);
      else process.stdout.write(`${JSON.stringify(head)}\n${formatConstraintReport(report)}\n`);
      await terminateZkEngine();
    },
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

type RegisterOptions = {
  modes: string;
  price: string;
  metadataUri: string;
  measurement?: string[];
};

type AddOptions = RegisterOptions & {
  soloSetup?: boolean;
  name?: string;
  batching?: boolean;
  register?: boolean;
  zk?: boolean;
  scaleBits?: number;
  valueBits?: number;
  ptau?: string;
  onchain: boolean;
};

function intOption(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} takes an integer; got "${value}".`);
  return n;
}

/**
 * `models add --zk`: on chain, a listing and its phase-2 ceremony (`startZkCeremony`); with
 * `--solo-setup` (devnets) or `--no-onchain`, a single-party setup into the node's ZK artifact
 * folder, then (unless --no-onchain) its contracts and listing.
 */
async function addZkModel(file: string, opts: AddOptions, config: ExecNodeConfig) {
  const log = (line: string) => process.stderr.write(`zk: ${line}\n`);
  const ptauPath = await zkPtau(config, opts, log);
  if (opts.onchain && !opts.soloSetup) return startCeremony(file, opts, config, ptauPath, log);
  if (opts.onchain && !isDevnetChain(config)) {
    throw new OpgError(
      "INVALID_ARGUMENT",
      "--solo-setup is for devnets (chain id 31337) only: a single-party key lets its maker forge proofs.",
    );
  }
  // slow to load: only for --zk
  const { terminateZkEngine, weightsCommitmentBytes32 } = await import("@opg/zk");
  const { buildZkModel, compileModel, constraintReport, formatConstraintReport } = await import(
    "@opg/zk/toolchain"
  );
  const { zkArtifactRoots } = await import("./ExecNode.js");
  const compiled = await compileModel(new Uint8Array(await readFile(resolve(file))), {
    ...(opts.scaleBits !== undefined ? { scaleBits: opts.scaleBits } : {}),
    ...(opts.valueBits !== undefined ? { valueBits: opts.valueBits } : {}),
  });
  for (const line of formatConstraintReport(constraintReport(compiled.spec)).split("\n")) log(line);
  const artifacts = await buildZkModel(file, {
    cacheDir: zkArtifactRoots(config)[0]!,
    ...(opts.scaleBits !== undefined ? { scaleBits: opts.scaleBits } : {}),
    ...(opts.valueBits !== undefined ? { valueBits: opts.valueBits } : {}),
    ptauPath,
    onLog: log,
  }).finally(terminateZkEngine); // the setup's BN254 worker threads would keep the CLI alive
  const built = {
    artifactKey: artifacts.manifest.artifactKey,
    dir: artifacts.dir,
    constraints: artifacts.manifest.constraints,
    weightsCommitment: weightsCommitmentBytes32(artifacts.manifest.weightsCommitment),
  };
  if (!opts.onchain) return built;
  const { registerZkModel } = await import("./zk/registerZkModel.js");
  const registration = await withChain(config, (chain) =>
    registerZkModel(
      artifacts,
      { price: parseEth("--price", opts.price), metadataURI: opts.metadataUri },
      {
        contracts: chain.contracts,
        account: chain.account,
        deploy: (initCode, label) => chain.sender.deployContract(initCode, label),
        onLog: log,
      },
    ),
  );
  return { ...built, ...registration };
}

/**
 * The pinned phase-1 file of a ZK setup: `--ptau`, or the committed development one on a devnet
 * (chain id 31337) only.
 */
async function zkPtau(
  config: ExecNodeConfig,
  opts: { ptau?: string | undefined },
  log: (line: string) => void,
): Promise<string> {
  if (opts.ptau) return resolve(opts.ptau);
  if (!isDevnetChain(config)) {
    throw new OpgError(
      "INVALID_ARGUMENT",
      "--ptau is required: the development powers of tau are for devnets (chain id 31337) only.",
    );
  }
  log("using the development powers-of-tau: fine for devnets, never for production");
  const { DEV_PTAU_PATH } = await import("@opg/zk/toolchain");
  return DEV_PTAU_PATH;
}

/** The node's ceremonies (`<dataDir>/zk-ceremonies/<listingId>/`). */
const ceremoniesRoot = (config: ExecNodeConfig) => dataPath(config, CEREMONIES_DIR);

/** `models add --zk` on chain: the listing and its ceremony, started; the next steps printed. */
async function startCeremony(
  file: string,
  opts: AddOptions,
  config: ExecNodeConfig,
  ptauPath: string,
  log: (line: string) => void,
) {
  const { startZkCeremony } = await import("./zk/zkCeremony.js");
  const { terminateZkEngine } = await import("@opg/zk");
  const out = await withChain(config, (chain) =>
    startZkCeremony(
      resolve(file),
      {
        scaleBits: opts.scaleBits,
        valueBits: opts.valueBits,
        ptauPath,
        price: parseEth("--price", opts.price),
        metadataURI: opts.metadataUri,
        ceremoniesRoot: ceremoniesRoot(config),
      },
      { contracts: chain.contracts, account: chain.account, onLog: log },
    ),
  ).finally(terminateZkEngine);
  log(`ceremony of listing ${out.listingId}: ${out.contributions} contribution(s) so far; next steps:`);
  for (const step of out.nextSteps) log(`  - ${step}`);
  return out;
}

/** `models register` and `models add --register`: the model's modes and price in the ModelRegistry. */
async function registerTerms(
  config: ExecNodeConfig,
  modelId: Hex,
  modes: ProofMode[],
  opts: RegisterOptions,
) {
  const measurements = (opts.measurement ?? []).map((m) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(m))
      throw new OpgError(
        "INVALID_ARGUMENT",
        `--measurement takes a 32-byte hex hash (0x + 64 hex digits); got "${m}".`,
      );
    return m as Hex;
  });
  if (measurements.length === 0 && modes.includes(ProofMode.TEE) && config.tee.enabled) {
    const { devEnclavePcrs, enclaveMeasurement } = await import("@opg/attestation");
    measurements.push(enclaveMeasurement(devEnclavePcrs(config.tee.imageId)));
  }
  return withChain(config, (chain) =>
    registerModel(
      {
        modelId,
        modes,
        price: parseEth("--price", opts.price),
        metadataURI: opts.metadataUri,
        measurements,
      },
      { contracts: chain.contracts, account: chain.account },
    ),
  );
}

/** Runs `fn` with the node's key as sender on the configured chain; errors name the RPC URL. */
async function withChain<T>(
  config: ExecNodeConfig,
  fn: (chain: {
    contracts: OpgContracts;
    account: Address;
    sender: TxSender;
    client: ReturnType<typeof createChainClient>;
  }) => Promise<T>,
): Promise<T> {
  const signer = await loadSigner(config);
  const deployment = await loadConfiguredDeployment(config);
  const client = createChainClient({ rpcUrl: config.chain.rpcUrl, chainId: config.chain.chainId });
  const sender = new TxSender(
    { chainId: config.chain.chainId },
    { client, account: privateKeyToAccount(signer.privateKey), logger: createLogger({ level: "warn" }) },
  );
  sender.start();
  try {
    return await fn({
      contracts: new OpgContracts(deployment, { client, sender }),
      account: signer.address,
      sender,
      client,
    });
  } catch (err) {
    if (err instanceof ChainRetryableError)
      throw new OpgError("RPC_UNAVAILABLE", cliMessage(err, { rpcUrl: config.chain.rpcUrl }), { cause: err });
    throw err;
  } finally {
    sender.stop();
  }
}

function parseEth(flag: string, value: string): bigint {
  try {
    return parseEther(value);
  } catch {
    throw new OpgError("INVALID_ARGUMENT", `${flag} takes an amount in ETH (like 0.001); got "${value}".`);
  }
}

await program.parseAsync(process.argv);
