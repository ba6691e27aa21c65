import type { NitroAttestationVerifier } from "@opg/attestation";
import type { Logger, Module } from "@opg/daemon";
import type { CeremonyAnnouncementMessage, OpgDomain, ResultMessage } from "@opg/protocol";
import type { Address, Hex } from "viem";
import { BatchCoordinator, type BatchCoordinatorOptions } from "./batching/BatchCoordinator.js";
import { BatchGossip, type BatchTopicMessage } from "./batching/BatchGossip.js";
import { Challenger } from "./batching/Challenger.js";
import { MissingResults } from "./batching/MissingResults.js";
import type { ChainView, TeeChainView } from "./chain/ChainView.js";
import { CheckPool, type CheckPoolOptions } from "./pipeline/CheckPool.js";
import { NoneProofVerifier, type ProofVerifier } from "./pipeline/ProofVerifier.js";
import { RegistryCache, type RegistryCacheOptions } from "./pipeline/RegistryCache.js";
import { ResultIntake, type ResultIntakeOptions } from "./pipeline/ResultIntake.js";
import { ResultValidator, type ResultValidatorOptions } from "./pipeline/ResultValidator.js";
import { VerifierStore } from "./store/VerifierStore.js";
import { EnclaveRegistrar, type EnclaveRegistrarOptions } from "./tee/EnclaveRegistrar.js";
import { TeeProofVerifier, type TeeProofVerifierOptions } from "./tee/TeeProofVerifier.js";
import type { VerifyMetrics } from "./verifyMetrics.js";
import { ceremonyKeyPolicy } from "./zk/ceremonyKeyPolicy.js";
import type { ZkBatchQueueOptions } from "./zk/ZkBatchQueue.js";
import { ZkProofVerifier } from "./zk/ZkProofVerifier.js";

export type VerifierCoreOptions = {
  /** SQLite file of the node's durable state. */
  dbPath: string;
  batching: Partial<BatchCoordinatorOptions>;
  registry: Partial<RegistryCacheOptions>;
  intake: Partial<ResultIntakeOptions>;
  validation: Partial<ResultValidatorOptions>;
  /**
   * Where the stateless checks of results run (decode, digests, both signature recoveries,
   * outputs hash): worker threads, and whether the event loop shares the work; by default none,
   * inline on the event loop.
   */
  checks?: Partial<CheckPoolOptions>;
  /** TEE mode's options (used when `deps.tee` is given). */
  tee?: {
    verifier?: Partial<TeeProofVerifierOptions>;
    /** Register the enclave keys this node verified on chain (default true). */
    registerEnclaves?: boolean;
    registrar?: Partial<EnclaveRegistrarOptions>;
  };
  /**
   * ZK mode: verify Groth16 proofs with the artifacts found under these folders (by model id);
   * the model's registered weights commitment is checked when the chain view can read it; proofs
   * of one verification key are checked in batches (`batch`: max size and wait).
   */
  zk?: {
    artifactRoots: readonly string[];
    batch?: Partial<ZkBatchQueueOptions> | undefined;
    /**
     * See the `zk.minCeremonyContributors` config key: 0 (or unset) requires no ceremony; `f+1`:
     * f + 1 of the current verifier set.
     */
    minCeremonyContributors?: number | "f+1" | undefined;
  };
};

export type VerifierCoreDeps = {
  chain: ChainView;
  signer: { address: Address; privateKey: Hex };
  /** Gossips bytes on the batch-signatures topic. */
  publishBatch: (bytes: Uint8Array) => Promise<void>;
  /**
   * Asks peers for the result message whose result hash is `hash`, each answer checked by
   * `accept` (P2PNode.fetchResult): how results a proposal lists but gossip never brought are
   * fetched. Without it such a proposal waits for gossip.
   */
  fetchResult?:
    | ((hash: Hex, accept: (bytes: Uint8Array) => Promise<boolean>, signal: AbortSignal) => Promise<unknown>)
    | undefined;
  logger: Logger;
  metrics?: VerifyMetrics | null | undefined;
  /** Proof verifiers by mode, in addition to NONE (zk and tee plug in here). */
  proofVerifiers?: readonly ProofVerifier[];
  /**
   * TEE mode: verify TEE proofs against the ModelRegistry's measurements with these trusted roots
   * and register verified enclave keys in the EnclaveRegistry.
   */
  tee?: { chain: TeeChainView; attestationVerifier: NitroAttestationVerifier };
};

/**
 * Everything a verifier does apart from networking: the durable store, the result pipeline,
 * batch agreement and settlement, and challenges. Transport-free, so the daemon wires it to
 * libp2p and tests can drive several in one process.
 */
export class VerifierCore {
  readonly name = "verifier";
  readonly store: VerifierStore;
  readonly registry: RegistryCache;
  readonly intake: ResultIntake;
  readonly batchGossip: BatchGossip;
  readonly coordinator: BatchCoordinator;
  readonly challenger: Challenger;
  /** Fetches the results a leader's proposal lists that gossip never brought (when `deps.fetchResult`). */
  readonly missing: MissingResults | undefined;
  readonly domain: OpgDomain;
  /** TEE mode's proof verifier and enclave key registration, when enabled. */
  readonly tee: { verifier: TeeProofVerifier; registrar: EnclaveRegistrar | undefined } | undefined;
  /** ZK mode's proof verifier, when enabled. */
  readonly zk: ZkProofVerifier | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  /** Where the stateless checks of results run (worker threads when `checks.workers` > 0). */
  readonly checks: CheckPool;
  /** Follows `BatchSettled` on chain and hands each settlement to the coordinator. */
  private readonly settlements: ReturnType<ChainView["watchSettlements"]>;
  /** The hub's InferenceRequested logs, feeding the registry cache (when the chain view has them). */
  private readonly requests: ReturnType<NonNullable<ChainView["watchRequests"]>> | undefined;
  private readonly logger: Logger;
  /** The modules `start()` started. */
  private running: readonly Module[] = [];
  private controller = new AbortController();

  constructor(options: VerifierCoreOptions, deps: VerifierCoreDeps) {
    const logger = deps.logger;
    this.domain = { chainId: deps.chain.chainId, verifyingContract: deps.chain.hub };
    this.store = new VerifierStore(options.dbPath);
    this.store.onGroupCommitError = (err) =>
      logger.error({ err }, "storing this turn's verified results failed; they return when published again");
    this.registry = new RegistryCache(options.registry, { chain: deps.chain, tee: deps.tee?.chain });
    const verifiers = new Map<number, ProofVerifier>([[0, new NoneProofVerifier()]]);
    if (deps.tee) {
      const registrar =
        options.tee?.registerEnclaves === false
          ? undefined
          : new EnclaveRegistrar(options.tee?.registrar ?? {}, {
              chain: deps.tee.chain,
              registry: this.registry,
              domain: this.domain,
              signer: deps.signer,
              publish: deps.publishBatch,
              logger: logger.child({ module: "enclave-registrar" }),
              metrics: deps.metrics,
            });
      const verifier = new TeeProofVerifier(options.tee?.verifier ?? {}, {
        registry: this.registry,
        attestationVerifier: deps.tee.attestationVerifier,
        onEnclaveKey: registrar?.onVerifiedKey,
      });
      verifiers.set(verifier.mode, verifier);
      this.tee = { verifier, registrar };
    } else {
      this.tee = undefined;
    }
    if (options.zk) {
      const registry = this.registry;
      this.zk = new ZkProofVerifier(
        { artifactRoots: options.zk.artifactRoots, batch: options.zk.batch },
        {
          metrics: deps.metrics,
          ...(options.zk.minCeremonyContributors
            ? {
                keyPolicy: ceremonyKeyPolicy({
                  self: deps.signer.address,
                  minContributors: minContributorsOf(options.zk.minCeremonyContributors, registry),
                  verifierSet: async () => (await registry.verifierConfig()).signers,
                }),
              }
            : {}),
          ...(deps.chain.zkListing
            ? {
                listing: async (m: ResultMessage) =>
                  registry.zkListing(m.modelId, await registry.listingOf(m), m.executor),
              }
            : {}),
        },
      );
      verifiers.set(this.zk.mode, this.zk);
    } else {
      this.zk = undefined;
    }
    for (const v of deps.proofVerifiers ?? []) verifiers.set(v.mode, v);
    this.challenger = new Challenger(
      {},
      { store: this.store, chain: deps.chain, logger: logger.child({ module: "challenger" }) },
    );
    this.checks = new CheckPool(options.checks ?? {}, {
      domain: this.domain,
      onWorkerError: (err) => logger.error({ err }, "a result-check worker failed; it is replaced"),
    });
    const validator = new ResultValidator(options.validation, {
      pool: this.checks,
      domain: this.domain,
      registry: this.registry,
      store: this.store,
      verifiers,
      metrics: deps.metrics,
      onEquivocation: (executor, requestId) => {
        logger.warn({ executor, requestId }, "executor equivocation: two outputs signed for one request");
        this.challenger.kick();
      },
      onDuplicate: (resultHash) => this.coordinator.announceSettled(resultHash),
    });
    this.coordinator = new BatchCoordinator(options.batching, {
      store: this.store,
      registry: this.registry,
      chain: deps.chain,
      domain: this.domain,
      signer: deps.signer,
      publish: deps.publishBatch,
      fetchMissing: (hashes) => this.missing?.want(hashes),
      logger: logger.child({ module: "batching" }),
      metrics: deps.metrics,
    });
    this.settlements = deps.chain.watchSettlements({
      onSettled: (s) => this.coordinator.onSettled(s),
      checkpoint: {
        load: async () => this.store.checkpoint("batch-settled"),
        save: async (block) => this.store.saveCheckpoint("batch-settled", block),
      },
    });
    this.requests = deps.chain.watchRequests?.({
      onRequest: (requestId, request) => this.registry.noteRequest(requestId, request),
      checkpoint: {
        load: async () => this.store.checkpoint("inference-requested"),
        save: async (block) => this.store.saveCheckpoint("inference-requested", block),
      },
    });
    this.logger = logger;
    this.intake = new ResultIntake(options.intake, {
      validator,
      store: this.store,
      logger: logger.child({ module: "intake" }),
      metrics: deps.metrics,
      // New results kick the coordinator at most every 50 ms: a burst costs one tick, not one each.
      onStored: () => {
        if (this.kickTimer !== undefined) return;
        this.kickTimer = setTimeout(() => {
          this.kickTimer = undefined;
          this.coordinator.kick();
        }, 50);
      },
    });
    this.missing = deps.fetchResult
      ? new MissingResults(
          {},
          {
            fetch: deps.fetchResult,
            intake: this.intake,
            logger: logger.child({ module: "missing-results" }),
            metrics: deps.metrics,
          },
        )
      : undefined;
    this.batchGossip = new BatchGossip({
      domain: this.domain,
      registry: this.registry,
      store: this.store,
      onEquivocation: (verifier, batchId) => {
        logger.warn(
          { verifier, batchId: batchId.toString() },
          "verifier equivocation: two roots signed for one batch",
        );
        this.challenger.kick();
      },
    });
  }

  /** Takes gossiped ceremony announcements, once `batchGossip.validate` let them through. */
  onCeremonyAnnouncement: ((m: CeremonyAnnouncementMessage) => void) | undefined;

  /** The handler of the batch-signatures topic (after `batchGossip.validate`). */
  onBatchMessage = (m: BatchTopicMessage): void => {
    if (m.kind === "proposal") this.coordinator.onProposal(m.message);
    else if (m.kind === "signature") this.coordinator.onSignature(m.message);
    else if (m.kind === "ceremony") this.onCeremonyAnnouncement?.(m.message);
    else this.tee?.registrar?.onSignature(m.message);
  };

  /**
   * The node's running parts as lifecycle modules, in start order (they stop in reverse): the
   * chain watchers, the intake's retry and retention loops, batching, challenges and enclave
   * registration. The daemon adds them to its lifecycle after a module whose stop calls `close()`;
   * `start()`/`stop()` run them the same way for tests.
   */
  get modules(): readonly Module[] {
    const watcher = (name: string, w: { start(): Promise<void>; stop(): Promise<void> }): Module => ({
      name,
      // Not awaited: a watcher retries its first poll itself; the node serves meanwhile.
      start: () => {
        w.start().catch((err: unknown) => this.logger.error({ err }, `${name} did not start`));
      },
      stop: () => w.stop(),
    });
    const loop = (x: { name: string; start(): void; stop(): Promise<void> }): Module => ({
      name: x.name,
      start: () => x.start(),
      stop: () => x.stop(),
    });
    const registrar = this.tee?.registrar;
    const missing = this.missing;
    return [
      watcher("settlement-watcher", this.settlements),
      ...(this.requests ? [watcher("request-watcher", this.requests)] : []),
      ...this.intake.modules,
      loop(this.coordinator),
      // Stops before the coordinator that feeds it: fetches in flight are aborted.
      ...(missing
        ? [{ name: "missing-results", start: () => missing.start(), stop: () => missing.stop() }]
        : []),
      loop(this.challenger),
      ...(registrar ? [loop(registrar)] : []),
    ];
  }

  /** What outlives the modules and is released after them: the store, the workers, the ZK engine. */
  async close(): Promise<void> {
    clearTimeout(this.kickTimer);
    this.kickTimer = undefined;
    await this.zk?.stop();
    await this.checks.stop();
    this.store.close();
  }

  /** Starts every module (tests; the daemon's lifecycle starts them one by one). */
  start(): void {
    this.controller = new AbortController();
    this.running = this.modules;
    for (const m of this.running) void m.start(this.controller.signal);
  }

  /** Stops the modules in reverse start order, then closes the resources. */
  async stop(): Promise<void> {
    for (const m of [...this.running].reverse()) await m.stop();
    this.controller.abort();
    this.running = [];
    await this.close();
  }
}

/** The ceremony policy's minimum: a fixed number, or f + 1 of the verifier set as the chain has it now. */
function minContributorsOf(
  n: number | "f+1",
  registry: { verifierConfig(): Promise<{ f: number }> },
): number | (() => Promise<number>) {
  return n === "f+1" ? async () => (await registry.verifierConfig()).f + 1 : n;
}
