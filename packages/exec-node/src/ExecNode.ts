import { DevEnclave, DevRoot, type EnclaveProvider } from "@opg/attestation";
import {
  BatchSettledWatcher,
  FileCheckpointStore,
  InferenceHubActions,
  InferenceRequestWatcher,
  ListingResolver,
} from "@opg/chain";
import type { Logger } from "@opg/daemon";
import { InferenceEngine, inferenceErrorStatus } from "@opg/inference";
import { WIRE_LIMITS } from "@opg/protocol";
import { CEREMONIES_DIR, dataPath, isDevnetChain, mountCeremonyRoutes, NodeRuntime } from "@opg/runtime";
import { EXAMPLE_ARTIFACTS_DIR, terminateZkEngine } from "@opg/zk";
import type { Address, Hex } from "viem";
import { getBalance } from "viem/actions";
import type { ExecNodeConfig } from "./config.js";
import { Deliverer } from "./delivery/Deliverer.js";
import { engineOptions, VERSION } from "./engineOptions.js";
import { createExecMetrics } from "./execMetrics.js";
import { ExecutorCore } from "./execution/ExecutorCore.js";
import { mountDirectIntake } from "./intake/directIntake.js";
import { ModelGate } from "./intake/ModelGate.js";
import { OnchainIntake } from "./intake/OnchainIntake.js";
import { NoneProofProvider, type ProofProvider } from "./proof/ProofProvider.js";
import { TeeProofProvider } from "./proof/TeeProofProvider.js";
import { ZkProofProvider } from "./proof/ZkProofProvider.js";
import { ExecStore } from "./store/ExecStore.js";

export { engineOptions, VERSION } from "./engineOptions.js";

/**
 * The opg-exec daemon: the inference engine, the execution core (run → hash → prove → sign →
 * store → gossip), the direct HTTP intake and the on-chain intake, on the shared runtime.
 */
export class ExecNode {
  private constructor(
    readonly runtime: NodeRuntime,
    readonly engine: InferenceEngine,
    readonly core: ExecutorCore,
  ) {}

  static async create(
    config: ExecNodeConfig,
    opts: {
      logger?: Logger;
      proofProviders?: readonly ProofProvider[];
      /**
       * Attestation documents for `tee.enabled` instead of `tee.provider`: inside a real Nitro
       * enclave, an `EnclaveProvider` over the NSM device (`/dev/nsm`, see @opg/attestation).
       */
      enclaveProvider?: EnclaveProvider;
    } = {},
  ): Promise<ExecNode> {
    const runtime = await NodeRuntime.create("opg-exec", config, {
      version: VERSION,
      role: "executor",
      ...opts,
    });
    const { p2p, logger, metrics, deployment } = runtime;
    const engine = new InferenceEngine(engineOptions(config), { logger, metrics });
    const execMetrics = createExecMetrics(metrics);
    const store = new ExecStore(dataPath(config, config.database));
    const providers = new Map<number, ProofProvider>([[0, new NoneProofProvider()]]);
    let tee: TeeProofProvider | undefined;
    if (config.tee.enabled) {
      const enclaveProvider = opts.enclaveProvider ?? (await devEnclave(config, logger));
      tee = new TeeProofProvider(
        {
          binding: config.tee.binding,
          refreshIntervalMs: config.tee.refreshIntervalMs,
          documentIntervalMs: config.tee.documentIntervalMs,
        },
        { enclaveProvider, executor: runtime.signer.address },
      );
      providers.set(tee.mode, tee);
    }
    let zk: ZkProofProvider | undefined;
    if (config.zk.enabled) {
      zk = new ZkProofProvider(
        { workers: config.zk.workers, artifactRoots: zkArtifactRoots(config) },
        { executor: runtime.signer.address },
      );
      providers.set(zk.mode, zk);
    }
    for (const p of opts.proofProviders ?? []) providers.set(p.mode, p);
    const core = new ExecutorCore(
      { republishIntervalMs: config.republishIntervalMs, republishForMs: config.republishForMs },
      {
        store,
        runner: engine,
        signer: runtime.signer,
        domain: runtime.domain,
        providers,
        // The bytes are what `ExecutorCore.seal` just encoded (or stored): published as they are,
        // under the size cap, never decoded again here.
        publish: (bytes) =>
          p2p.publish(p2p.topics.results, bytes, { maxBytes: WIRE_LIMITS.resultMessageBytes }),
        logger: logger.child({ module: "executor" }),
        metrics: execMetrics,
      },
    );
    // Outputs gossiped by reference are served by hash to whoever asks (verifiers, deliverers).
    await p2p.servePayloads((hash) => store.payload(hash));
    const listings = new ListingResolver(
      // Configured publishers, the deployer, then this node's own account (`models register`).
      {
        publishers: [...(config.chain.publishers as Address[]), deployment.deployer, runtime.signer.address],
      },
      { client: runtime.client, modelRegistry: deployment.modelRegistry },
    );
    const gate = new ModelGate({
      listings,
      hasModel: (modelId: Hex) => engine.store.get(modelId) !== undefined,
    });
    runtime.http.mapErrorCodes(inferenceErrorStatus);
    mountDirectIntake(runtime.http, { core, domain: runtime.domain, gate: gate.check });
    runtime.http.route("GET", "/v1/models", () => ({ models: engine.store.list(), loaded: engine.loaded() }));
    // The ceremonies this publisher started (`models add --zk`), for the first contributor's
    // `opg-verify zk contribute --from <this node's URL>` and for `zk rebuild --from`.
    mountCeremonyRoutes(runtime.http, { root: dataPath(config, CEREMONIES_DIR) });
    runtime.http.route("GET", "/v1/tee", () =>
      tee === undefined
        ? { enabled: false }
        : {
            enabled: true,
            provider: opts.enclaveProvider ? "custom" : config.tee.provider,
            binding: config.tee.binding,
            ...tee.info,
          },
    );

    runtime.add(engine);
    for (const watcher of gate.watchers({
      confirmations: config.chain.confirmations,
      pollIntervalMs: config.chain.pollIntervalMs,
      logger: logger.child({ module: "model-watcher" }),
      metrics: (name) => runtime.chainMetrics.watcher(name),
    }))
      runtime.add(watcher);
    if (tee !== undefined) {
      const provider = tee;
      const teeLogger = logger.child({ module: "tee" });
      runtime.add({
        name: "tee",
        start: async () => {
          const info = await provider.start();
          teeLogger.info(
            { enclave: info.enclave, measurement: info.measurement, binding: config.tee.binding },
            "TEE enclave attested; models served in TEE mode must allow its measurement",
          );
        },
        stop: () => {},
        health: () => ({ binding: config.tee.binding, ...provider.info }),
      });
    }
    if (zk !== undefined) {
      const provider = zk;
      const zkLogger = logger.child({ module: "zk" });
      let models: string[] = [];
      runtime.add({
        name: "zk",
        start: async () => {
          models = await provider.start();
          zkLogger.info(
            { workers: config.zk.workers, roots: provider.artifacts.roots, models },
            "ZK prover started",
          );
        },
        stop: async () => {
          await provider.stop();
          await terminateZkEngine();
        },
        health: () => ({ workers: config.zk.workers, queued: provider.prover.queued, models }),
      });
    }
    runtime.add({
      name: core.name,
      start: () => core.start(),
      stop: async () => {
        await core.stop();
        store.close();
      },
      health: () => ({ signer: runtime.signer.address, ...store.counts() }),
    });
    let deliverer: Deliverer | undefined;
    if (config.onchain.enabled && config.delivery.enabled && config.delivery.verifierUrls.length > 0) {
      deliverer = new Deliverer(config.delivery, {
        store,
        hub: new InferenceHubActions(deployment.inferenceHub, {
          client: runtime.client,
          sender: runtime.sender,
        }),
        executor: runtime.signer.address,
        balance: () => getBalance(runtime.client, { address: runtime.signer.address }),
        logger: logger.child({ module: "delivery" }),
        metrics: execMetrics,
      });
      const d = deliverer;
      const settled = new BatchSettledWatcher(
        {
          hub: deployment.inferenceHub,
          fromBlock: deployment.startBlock,
          confirmations: config.chain.confirmations,
          pollIntervalMs: config.chain.pollIntervalMs,
        },
        {
          client: runtime.client,
          checkpoint: new FileCheckpointStore({ path: dataPath(config, "delivery.checkpoint") }),
          logger: logger.child({ module: "delivery-watcher" }),
          metrics: runtime.chainMetrics.watcher("batch-settled"),
          onSettled: () => d.onBatchSettled(),
        },
      );
      runtime.add({
        name: "delivery",
        start: (signal) => {
          d.start();
          return settled.start(signal);
        },
        stop: async () => {
          await settled.stop();
          await d.stop();
        },
        health: () => ({
          pending: store.pendingDeliveries(),
          verifiers: config.delivery.verifierUrls.length,
        }),
        problems: () => d.problems(),
      });
    }
    if (config.onchain.enabled) {
      const intake = new OnchainIntake(config.onchain, {
        core,
        gate,
        logger: logger.child({ module: "onchain" }),
        ...(deliverer ? { onExecuted: (e) => deliverer.track(e.requestId, e.request) } : {}),
      });
      const watcher = new InferenceRequestWatcher(
        {
          hub: deployment.inferenceHub,
          fromBlock: deployment.startBlock,
          confirmations: config.chain.confirmations,
          pollIntervalMs: config.chain.pollIntervalMs,
        },
        {
          client: runtime.client,
          checkpoint: new FileCheckpointStore({ path: dataPath(config, "onchain.checkpoint") }),
          onRequest: intake.onRequest,
          logger: logger.child({ module: "onchain-watcher" }),
          metrics: runtime.chainMetrics.watcher("inference-requested"),
        },
      );
      runtime.add({
        name: watcher.name,
        start: (signal) => watcher.start(signal),
        stop: () => watcher.stop(),
        ready: () => watcher.ready(),
        health: () => watcher.health(),
      });
    }
    return new ExecNode(runtime, engine, core);
  }

  start(): Promise<void> {
    return this.runtime.start();
  }

  stop(reason?: string): Promise<unknown> {
    return this.runtime.stop(reason);
  }
}

/** The dev enclave of `tee.provider: "dev"`, under the devnet's shared dev root (created when missing). */
async function devEnclave(config: ExecNodeConfig, logger: Logger): Promise<EnclaveProvider> {
  const dir = dataPath(config, config.tee.devRootDir);
  const { root, created } = await DevRoot.loadOrCreate(dir);
  logger.warn(
    { dir, created, root: root.fingerprint, imageId: config.tee.imageId },
    "TEE: development enclave under a local dev root; its attestations prove nothing (devnets only)",
  );
  return DevEnclave.create({ root, imageId: config.tee.imageId });
}

/**
 * Where ZK artifacts are looked up: `zk.artifactsDir`, or the data dir's cache, then — on a devnet
 * only (chain id 31337, `isDevnetChain`) — the committed example artifacts.
 */
export function zkArtifactRoots(config: ExecNodeConfig): string[] {
  if (config.zk.artifactsDir !== undefined) return [dataPath(config, config.zk.artifactsDir)];
  return isDevnetChain(config)
    ? [dataPath(config, "zk-artifacts"), EXAMPLE_ARTIFACTS_DIR]
    : [dataPath(config, "zk-artifacts")];
}
