import { availableParallelism } from "node:os";
import { NitroAttestationVerifier, readDevRootPem } from "@opg/attestation";
import type { Logger } from "@opg/daemon";
import { encodeCeremonyAnnouncementMessage } from "@opg/protocol";
import { CEREMONIES_DIR, dataPath, isDevnetChain, mountCeremonyRoutes, NodeRuntime } from "@opg/runtime";
import { EXAMPLE_ARTIFACTS_DIR, terminateZkEngine } from "@opg/zk";
import type { Address } from "viem";
import { mountExplorerRoutes } from "./api/explorerRoutes.js";
import { mountVerifierRoutes } from "./api/verifierRoutes.js";
import { ContractChainView } from "./chain/ContractChainView.js";
import type { VerifyNodeConfig } from "./config.js";
import { checkPoolOptions } from "./pipeline/CheckPool.js";
import type { ProofVerifier } from "./pipeline/ProofVerifier.js";
import { VerifierCore } from "./VerifierCore.js";
import { createVerifyMetrics } from "./verifyMetrics.js";
import { VERSION } from "./version.js";
import { wireVerifierGossip } from "./wireVerifierGossip.js";
import { CeremonyAnnouncements } from "./zk/CeremonyAnnouncements.js";

export { VERSION };

/**
 * The opg-verify daemon: a VerifierCore wired to libp2p (results and batch-signatures topics),
 * to the chain (reads, settlement and challenges through the runtime's transaction sender) and
 * to its HTTP API.
 */
export class VerifyNode {
  private constructor(
    readonly runtime: NodeRuntime,
    readonly core: VerifierCore,
  ) {}

  static async create(
    config: VerifyNodeConfig,
    opts: { logger?: Logger; proofVerifiers?: readonly ProofVerifier[] } = {},
  ): Promise<VerifyNode> {
    const runtime = await NodeRuntime.create("opg-verify", config, {
      version: VERSION,
      role: "verifier",
      ...opts,
    });
    const { deployment, sender, p2p } = runtime;
    const chain = new ContractChainView({
      chainId: deployment.chainId,
      client: runtime.client,
      addresses: {
        hub: deployment.inferenceHub,
        operatorRegistry: deployment.operatorRegistry,
        modelRegistry: deployment.modelRegistry,
        enclaveRegistry: deployment.enclaveRegistry,
      },
      sender,
      fromBlock: deployment.startBlock,
      publishers: [...(config.chain.publishers as Address[]), deployment.deployer],
      confirmations: config.chain.confirmations,
      pollIntervalMs: config.chain.pollIntervalMs,
      logger: runtime.logger.child({ module: "settlements" }),
    });
    let attestationVerifier: NitroAttestationVerifier | undefined;
    if (config.tee.enabled) {
      const devRoot = config.tee.devRootPem;
      const extraRoots = devRoot === undefined ? [] : [await readDevRootPem(dataPath(config, devRoot))];
      if (devRoot !== undefined) {
        runtime.logger.warn(
          { devRootPem: dataPath(config, devRoot) },
          "TEE: trusting the dev root besides the AWS Nitro root; dev documents prove nothing (devnets only)",
        );
      }
      attestationVerifier = new NitroAttestationVerifier({ extraRoots });
    }
    const core = new VerifierCore(
      {
        dbPath: dataPath(config, config.database),
        batching: config.batching,
        registry: { ttlMs: config.registryCacheTtlMs },
        intake: {
          resultRetentionMs: config.retention.resultsMs,
          maxResultBytes: config.retention.resultsMaxBytes,
          signatureRetentionMs: config.retention.signaturesMs,
          maxSignatureBytes: config.retention.signaturesMaxBytes,
        },
        validation: {},
        checks: checkPoolOptions(config.checkWorkers, availableParallelism()),
        tee: {
          verifier: {
            maxAttestationAgeMs: config.tee.maxAttestationAgeMs,
            enclaveKeyTtlMs: config.tee.enclaveKeyTtlMs,
          },
          registerEnclaves: config.tee.registerEnclaves,
          registrar: { takeoverMs: config.batching.leaderTimeoutMs },
        },
        ...(config.zk.enabled
          ? {
              zk: {
                artifactRoots: zkArtifactRoots(config),
                batch: { maxBatchSize: config.zk.maxBatchSize, maxWaitMs: config.zk.maxBatchWaitMs },
                minCeremonyContributors: minCeremonyContributors(config),
              },
            }
          : {}),
      },
      {
        chain,
        signer: runtime.signer,
        publishBatch: async (bytes) => {
          await p2p.publish(p2p.topics.batchSignatures, bytes);
        },
        fetchResult: (hash, accept, signal) => p2p.fetchResult(hash, accept, signal),
        logger: runtime.logger,
        metrics: createVerifyMetrics(runtime.metrics),
        proofVerifiers: opts.proofVerifiers ?? [],
        ...(attestationVerifier ? { tee: { chain, attestationVerifier } } : {}),
      },
    );
    await wireVerifierGossip(p2p, core);
    // Payloads on demand: serve the outputs this verifier holds; fetch by hash what it lacks.
    await p2p.servePayloads((hash) => core.store.payload(hash));
    mountVerifierRoutes(runtime.http, core.store, {
      fetchPayload: (hash) => p2p.fetchPayload(hash),
    });
    mountExplorerRoutes(runtime.http, { store: core.store, zkArtifacts: core.zk?.artifacts });
    // Phase-2 ceremonies: served to peers by hash; announcements (gossiped, or posted by a
    // contributor — `opg-verify zk contribute --announce-to`) checked, then the zkey fetched.
    const ceremonies = dataPath(config, CEREMONIES_DIR);
    const announcements = new CeremonyAnnouncements({
      root: ceremonies,
      verifierSet: async () => (await core.registry.verifierConfig()).signers,
      maxZkeyBytes: config.zk.ceremonyMaxZkeyBytes,
      logger: runtime.logger,
    });
    core.onCeremonyAnnouncement = (m) => {
      announcements.receive(m).catch(() => undefined); // refusals are logged by `receive`
    };
    mountCeremonyRoutes(runtime.http, {
      root: ceremonies,
      onAnnouncement: async (raw) => {
        const out = await announcements.receive(raw);
        // Accepted over HTTP (typically from this node's own operator): gossip it to the network.
        await p2p
          .publish(p2p.topics.batchSignatures, encodeCeremonyAnnouncementMessage(out.announcement))
          .catch((err: unknown) =>
            runtime.logger.warn({ err: String(err) }, "ceremony announcement not gossiped"),
          );
        const { announcement: _, ...answer } = out;
        return answer;
      },
    });
    // The core's resources first, so they are released after every module that uses them.
    runtime.add({
      name: core.name,
      start: () => undefined,
      stop: async () => {
        await core.close();
        if (core.zk) await terminateZkEngine();
      },
      health: () => ({
        ...core.store.counts(),
        lastSettledBatch: core.store.lastSettledBatchId().toString(),
        ...(core.tee
          ? { tee: { ...core.tee.verifier.tee.stats, ...(core.tee.registrar?.health() ?? {}) } }
          : {}),
        ...(core.zk
          ? { zk: { ...core.zk.stats, batches: core.zk.queue.stats, models: core.zk.artifacts.models() } }
          : {}),
      }),
    });
    for (const module of core.modules) runtime.add(module);
    return new VerifyNode(runtime, core);
  }

  start(): Promise<void> {
    return this.runtime.start();
  }

  stop(reason?: string): Promise<unknown> {
    return this.runtime.stop(reason);
  }
}

/**
 * Where ZK artifacts are looked up: `zk.artifactsDir`, or the data dir's cache, then — on a devnet
 * only (chain id 31337, `isDevnetChain`) — the committed example artifacts.
 */
export function zkArtifactRoots(config: VerifyNodeConfig): string[] {
  if (config.zk.artifactsDir !== undefined) return [dataPath(config, config.zk.artifactsDir)];
  return isDevnetChain(config)
    ? [dataPath(config, "zk-artifacts"), EXAMPLE_ARTIFACTS_DIR]
    : [dataPath(config, "zk-artifacts")];
}

/**
 * The ceremony policy a config asks for (`zk.minCeremonyContributors`): its number when set, else
 * none on a devnet (chain id 31337) and f + 1 of the verifier set elsewhere.
 */
export function minCeremonyContributors(config: VerifyNodeConfig): number | "f+1" {
  const n = config.zk.minCeremonyContributors;
  if (n !== undefined) return n;
  return isDevnetChain(config) ? 0 : "f+1";
}
