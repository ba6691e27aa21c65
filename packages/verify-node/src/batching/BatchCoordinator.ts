import type { Logger, Metrics } from "@opg/daemon";
import {
  type BatchProposalMessage,
  type BatchRoot,
  type BatchSignatureMessage,
  encodeBatchProposalMessage,
  encodeBatchSignatureMessage,
  type OpgDomain,
  ResultBatchTree,
  recoverBatchRootSigner,
  signBatchRoot,
} from "@opg/protocol";
import type { Counter, Gauge } from "prom-client";
import { type Address, type Hex, isAddressEqual } from "viem";
import type { ChainView, VerifierSet } from "../chain/ChainView.js";
import type { RegistryCache } from "../pipeline/RegistryCache.js";
import type { StoredBatch, VerifierStore } from "../store/VerifierStore.js";

export type BatchCoordinatorOptions = {
  /** Cut a batch once this many results are pending. */
  maxBatchSize: number;
  /** Cut a batch once the oldest pending result is this old, however few there are. */
  maxBatchAgeMs: number;
  /** A leader that has not settled its batch this long after it was due is taken over. */
  leaderTimeoutMs: number;
  /** How often the coordinator looks at the chain and its state. */
  tickMs: number;
  /** Our signature and proposal are gossiped again this often until the batch settles. */
  regossipMs: number;
};

export const defaultBatchCoordinatorOptions: BatchCoordinatorOptions = {
  maxBatchSize: 256,
  maxBatchAgeMs: 2_000,
  leaderTimeoutMs: 10_000,
  tickMs: 250,
  regossipMs: 3_000,
};

export type BatchCoordinatorDeps = {
  store: VerifierStore;
  registry: RegistryCache;
  chain: ChainView;
  domain: OpgDomain;
  signer: { address: Address; privateKey: Hex };
  publish: (bytes: Uint8Array) => Promise<void>;
  logger: Logger;
  metrics?: Metrics | undefined;
  now?: () => number;
};

type Due = { batchId: bigint; since: number };

/**
 * Agrees on batches with the other verifiers and settles them.
 *
 * Membership rule: the leader of batch `k` (signer `(k + attempt) mod n` of the on-chain verifier
 * set, `attempt` growing every `leaderTimeoutMs` the batch stays unsettled once due) proposes its
 * oldest pending verified results, one per request, with its signature. Every verifier signs the
 * proposal's root only once it has verified every listed result itself, and signs at most one
 * root per batch id, ever (persisted before the signature leaves the node). Whoever holds f + 1
 * signatures settles: the proposer at once, the others after `leaderTimeoutMs` × their distance
 * from it. The contract takes batch ids in strict order, so `k` is always the last settled + 1.
 */
export class BatchCoordinator {
  readonly name = "batching";
  private readonly options: BatchCoordinatorOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private abort = new AbortController();
  /** Proposals for batch ids we have not signed yet, waiting for their results. */
  private readonly waiting = new Map<string, BatchProposalMessage>();
  private due: Due | undefined;
  private lastGossip = 0;
  private submitting: bigint | undefined;
  private readonly announced = new Map<bigint, number>();
  private readonly settledTotal: Counter | undefined;
  private readonly signedTotal: Counter<"role"> | undefined;
  private readonly lastSettledGauge: Gauge | undefined;

  constructor(
    options: Partial<BatchCoordinatorOptions>,
    private readonly deps: BatchCoordinatorDeps,
  ) {
    this.options = { ...defaultBatchCoordinatorOptions, ...options };
    this.now = deps.now ?? Date.now;
    this.settledTotal = deps.metrics?.counter({
      area: "verify",
      name: "batches_settled",
      help: "Batches this node submitted and saw mined.",
    });
    this.signedTotal = deps.metrics?.counter({
      area: "verify",
      name: "batches_signed",
      help: "Batch roots this node signed, as leader or follower.",
      labelNames: ["role"],
    });
    this.lastSettledGauge = deps.metrics?.gauge({
      area: "verify",
      name: "last_settled_batch",
      help: "Highest batch id settled on chain, as this node knows it.",
    });
  }

  start(): void {
    this.abort = new AbortController();
    this.timer = setInterval(() => this.kick(), this.options.tickMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Runs a tick now unless one is running (new results, proposals and signatures call this). */
  kick(): void {
    if (this.ticking || this.abort.signal.aborted) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.deps.logger.warn({ err }, "batch tick failed; retrying next tick"))
      .finally(() => {
        this.ticking = undefined;
      });
  }

  /** A proposal from the gossip topic (already checked: signature by `proposer`, set member). */
  onProposal(p: BatchProposalMessage): void {
    this.deps.store.insertProposal({ ...p, createdAt: this.now() });
    this.deps.store.insertSignature({ ...p, verifier: p.proposer });
    const known = this.deps.store.getBatch(p.batchId);
    if (!known) this.waiting.set(`${p.batchId}:${p.root}`, p);
    else if (known.status === "settled" && known.root === p.root && known.resultHashes.length === 0) {
      // Settled while we were away: now we learn which results it holds.
      this.deps.store.markBatchSettled(p.batchId, p.root, p.count, known.settleTx);
    }
    this.kick();
  }

  /**
   * Someone gossiped a result that is already settled: a verifier may have missed the batch.
   * Gossip the batch's proposal again (at most once per `regossipMs` per batch).
   */
  announceSettled(resultHash: Hex): void {
    try {
      this.announce(resultHash);
    } catch (err) {
      this.deps.logger.warn({ err, resultHash }, "could not gossip a settled batch again");
    }
  }

  private announce(resultHash: Hex): void {
    const batchId = this.deps.store.settledBatchOf(resultHash);
    if (batchId === undefined) return;
    const now = this.now();
    const last = this.announced.get(batchId) ?? 0;
    if (now - last < this.options.regossipMs) return;
    this.announced.set(batchId, now);
    if (this.announced.size > 1024) this.announced.delete(this.announced.keys().next().value as bigint);
    const batch = this.deps.store.getBatch(batchId);
    if (!batch || batch.resultHashes.length === 0) return;
    const proposer = this.deps.store
      .signaturesFor(batchId, batch.root)
      .find((s) => isAddressEqual(s.verifier, batch.proposer));
    const proposal = this.deps.store.getProposal(batchId, batch.root);
    if (!proposer || !proposal) return;
    void this.send(
      encodeBatchProposalMessage({
        configDigest: proposal.configDigest,
        batchId,
        root: batch.root,
        count: batch.count,
        resultHashes: proposal.resultHashes,
        proposer: proposal.proposer,
        signature: proposer.signature,
      }),
    );
  }

  /** A signature from the gossip topic (already checked: by `verifier`, a set member). */
  onSignature(s: BatchSignatureMessage): void {
    this.deps.store.insertSignature(s);
    this.kick();
  }

  private async tick(): Promise<void> {
    const next = (await this.syncSettled()) + 1n;
    const set = await this.deps.registry.verifierConfig();
    const me = set.signers.findIndex((s) => isAddressEqual(s, this.deps.signer.address));
    if (me < 0) return; // not in the active set: validate and serve, never sign

    for (const [key, p] of this.waiting) if (p.batchId < next) this.waiting.delete(key);

    const signed = this.deps.store.getBatch(next);
    if (signed?.status === "signed") {
      if (signed.configDigest !== set.configDigest) {
        // The set changed under this batch: its signatures died with the old digest.
        this.deps.logger.warn({ batchId: next }, "verifier set changed; batch must be proposed again");
        return;
      }
      await this.regossip(signed);
      await this.maybeSubmit(signed, set, me);
      return;
    }
    if (this.tryProposals(next, set)) return;
    await this.maybePropose(next, set, me);
  }

  /** Reads the chain's last settled batch id and records every settlement we missed. */
  private async syncSettled(): Promise<bigint> {
    const known = this.deps.store.lastSettledBatchId();
    let onchain: bigint;
    try {
      onchain = await this.deps.chain.lastBatchId();
    } catch (err) {
      this.deps.logger.debug({ err }, "chain unavailable; using the last known settled batch");
      return known;
    }
    for (let id = known + 1n; id <= onchain; id++) {
      const settled = await this.deps.chain.settledBatch(id);
      if (!settled) continue;
      this.deps.store.markBatchSettled(id, settled.root, settled.count, settled.tx);
      this.deps.logger.info({ batchId: id.toString(), root: settled.root }, "batch settled");
    }
    this.lastSettledGauge?.set(Number(onchain));
    return onchain > known ? onchain : known;
  }

  private tryProposals(next: bigint, set: VerifierSet): boolean {
    // Proposals seen before a restart are in the store, not in memory.
    for (const p of this.deps.store.proposalsFor(next)) {
      const key = `${p.batchId}:${p.root}`;
      if (!this.waiting.has(key) && !isAddressEqual(p.proposer, this.deps.signer.address)) {
        const signature = this.deps.store
          .signaturesFor(p.batchId, p.root)
          .find((s) => isAddressEqual(s.verifier, p.proposer));
        if (signature) this.waiting.set(key, { ...p, signature: signature.signature });
      }
    }
    for (const [key, p] of this.waiting) {
      if (p.batchId !== next) continue;
      if (p.configDigest !== set.configDigest) {
        this.waiting.delete(key);
        continue;
      }
      const tree = this.buildFromProposal(p);
      if (tree === "never") {
        this.waiting.delete(key);
        continue;
      }
      if (!tree) continue; // results still missing: wait for gossip
      if (tree.root !== p.root || tree.count !== p.count) {
        this.deps.logger.warn(
          { batchId: next.toString(), proposer: p.proposer },
          "proposal root does not match its results",
        );
        this.waiting.delete(key);
        continue;
      }
      const batch = this.sign({ ...p, createdAt: this.now() }, "follower");
      this.waiting.delete(key);
      void this.gossipSignature(batch);
      return true;
    }
    return false;
  }

  /** The proposal's tree from our own verified results; undefined while some are missing. */
  private buildFromProposal(p: BatchProposalMessage): ResultBatchTree | undefined | "never" {
    const requests = new Set<string>();
    const fields = [];
    for (const h of p.resultHashes) {
      const r = this.deps.store.getResult(h);
      if (!r) return undefined;
      if (
        r.status === "settled" ||
        this.deps.store.isRequestSettled(r.requestId) ||
        requests.has(r.requestId)
      ) {
        this.deps.logger.warn(
          { batchId: p.batchId.toString(), resultHash: h },
          "proposal holds a settled or repeated request",
        );
        return "never";
      }
      requests.add(r.requestId);
      fields.push(r);
    }
    return ResultBatchTree.of(fields);
  }

  private async maybePropose(next: bigint, set: VerifierSet, me: number): Promise<void> {
    const pending = this.deps.store.pendingResults(this.options.maxBatchSize);
    if (pending.length === 0) {
      this.due = undefined;
      return;
    }
    const now = this.now();
    if (this.due?.batchId !== next) {
      const oldest = pending[0]!.receivedAt;
      const full = pending.length >= this.options.maxBatchSize;
      this.due = { batchId: next, since: full ? now : oldest + this.options.maxBatchAgeMs };
    }
    if (now < this.due.since) return;
    const attempt = Math.floor((now - this.due.since) / this.options.leaderTimeoutMs);
    const leader = Number((next + BigInt(attempt)) % BigInt(set.signers.length));
    if (leader !== me) return;

    const tree = ResultBatchTree.of(pending);
    const batch = this.sign(
      {
        batchId: next,
        configDigest: set.configDigest,
        root: tree.root,
        count: tree.count,
        resultHashes: pending.map((r) => r.resultHash),
        proposer: this.deps.signer.address,
        createdAt: now,
      },
      "leader",
    );
    this.deps.logger.info({ batchId: next.toString(), count: batch.count, attempt }, "proposed batch");
    await this.regossip(batch, true);
  }

  /** Records and signs a root; at most one per batch id, whatever is asked later. */
  private sign(b: Omit<StoredBatch, "status" | "settleTx">, role: "leader" | "follower"): StoredBatch {
    const batch = this.deps.store.recordSignedBatch(b);
    if (batch.root !== b.root) return batch; // already signed another root for this id
    this.deps.store.insertProposal(b);
    const signature = signBatchRoot(this.deps.signer.privateKey, this.deps.domain, toBatchRoot(batch));
    this.deps.store.insertSignature({ ...toBatchRoot(batch), verifier: this.deps.signer.address, signature });
    this.signedTotal?.inc({ role });
    return batch;
  }

  private mySignature(b: StoredBatch): Hex | undefined {
    return this.deps.store
      .signaturesFor(b.batchId, b.root)
      .find((s) => isAddressEqual(s.verifier, this.deps.signer.address))?.signature;
  }

  private async regossip(b: StoredBatch, force = false): Promise<void> {
    const now = this.now();
    if (!force && now - this.lastGossip < this.options.regossipMs) return;
    this.lastGossip = now;
    if (isAddressEqual(b.proposer, this.deps.signer.address)) {
      const signature = this.mySignature(b);
      if (!signature) return;
      await this.send(
        encodeBatchProposalMessage({
          configDigest: b.configDigest,
          batchId: b.batchId,
          root: b.root,
          count: b.count,
          resultHashes: b.resultHashes,
          proposer: b.proposer,
          signature,
        }),
      );
      return;
    }
    await this.gossipSignature(b);
  }

  private async gossipSignature(b: StoredBatch): Promise<void> {
    const signature = this.mySignature(b);
    if (!signature) return;
    await this.send(
      encodeBatchSignatureMessage({
        configDigest: b.configDigest,
        batchId: b.batchId,
        root: b.root,
        count: b.count,
        verifier: this.deps.signer.address,
        signature,
      }),
    );
  }

  private async send(bytes: Uint8Array): Promise<void> {
    try {
      await this.deps.publish(bytes);
    } catch (err) {
      this.deps.logger.debug({ err }, "gossip publish failed; will gossip again");
    }
  }

  private async maybeSubmit(b: StoredBatch, set: VerifierSet, me: number): Promise<void> {
    const members = new Set(set.signers.map((s) => s.toLowerCase()));
    const signatures = this.deps.store
      .signaturesFor(b.batchId, b.root)
      .filter((s) => members.has(s.verifier.toLowerCase()))
      .filter((s) => {
        try {
          return isAddressEqual(
            recoverBatchRootSigner(this.deps.domain, toBatchRoot(b), s.signature),
            s.verifier,
          );
        } catch {
          return false;
        }
      });
    if (signatures.length < set.f + 1) return;
    const proposer = set.signers.findIndex((s) => isAddressEqual(s, b.proposer));
    const rank = proposer < 0 ? me + 1 : (me - proposer + set.signers.length) % set.signers.length;
    if (this.now() < b.createdAt + rank * this.options.leaderTimeoutMs) return;
    if (this.submitting === b.batchId) return;
    this.submitting = b.batchId;
    try {
      // Idempotent: the chain may already hold it (another verifier, or us before a crash).
      if ((await this.deps.chain.lastBatchId()) >= b.batchId) return;
      const chosen = signatures.slice(0, set.f + 1).map((s) => s.signature);
      const tx = await this.deps.chain.settleBatch(toBatchRoot(b), chosen, this.abort.signal);
      this.deps.store.recordSettlementTx(b.batchId, tx, "mined");
      this.deps.store.markBatchSettled(b.batchId, b.root, b.count, tx);
      this.settledTotal?.inc();
      this.deps.logger.info({ batchId: b.batchId.toString(), tx, count: b.count }, "settled batch");
    } catch (err) {
      this.deps.logger.warn({ err, batchId: b.batchId.toString() }, "settlement failed; will retry");
    } finally {
      this.submitting = undefined;
    }
  }
}

function toBatchRoot(b: { configDigest: Hex; batchId: bigint; root: Hex; count: number }): BatchRoot {
  return { configDigest: b.configDigest, batchId: b.batchId, root: b.root, count: b.count };
}
