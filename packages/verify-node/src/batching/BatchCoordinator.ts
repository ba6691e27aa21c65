import { type Logger, PeriodicTask } from "@opg/daemon";
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
import { type Address, type Hex, isAddressEqual } from "viem";
import type { ChainView, VerifierSet } from "../chain/ChainView.js";
import type { RegistryCache } from "../pipeline/RegistryCache.js";
import type { StoredBatch, VerifierStore } from "../store/VerifierStore.js";
import type { VerifyMetrics } from "../verifyMetrics.js";
import { batchIdOf, batchRound, batchSequence, MAX_ROUND, roundLeader } from "./batchIds.js";

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
  /** Proposals kept per verifier-set member (its oldest are dropped beyond it). */
  maxProposalsPerMember: number;
  /** Bytes of result hashes kept per member's proposals (its oldest are dropped beyond it). */
  maxProposalBytesPerMember: number;
  /**
   * A leader's proposal listing results we lack waits this long for gossip to bring them, then
   * they are fetched by hash from peers (`fetchMissing`).
   */
  fetchMissingAfterMs: number;
};

export const defaultBatchCoordinatorOptions: BatchCoordinatorOptions = {
  maxBatchSize: 256,
  maxBatchAgeMs: 2_000,
  leaderTimeoutMs: 10_000,
  tickMs: 250,
  regossipMs: 3_000,
  // A round proposes one batch per sequence number: an honest member has a few live proposals.
  maxProposalsPerMember: 64,
  // 32 batches of the largest size (8192 results × 32 bytes).
  maxProposalBytesPerMember: 8 * 1024 * 1024,
  // Gossip reaches every verifier within a few heartbeats; a result still missing after this is lost.
  fetchMissingAfterMs: 2_000,
};

export type BatchCoordinatorDeps = {
  store: VerifierStore;
  registry: RegistryCache;
  chain: ChainView;
  domain: OpgDomain;
  signer: { address: Address; privateKey: Hex };
  publish: (bytes: Uint8Array) => Promise<void>;
  /**
   * Told the results a leader's proposal lists that this verifier lacks (fetched by hash from
   * peers, `MissingResults`); without it such a proposal waits for gossip.
   */
  fetchMissing?: ((resultHashes: readonly Hex[]) => void) | undefined;
  logger: Logger;
  metrics?: VerifyMetrics | null | undefined;
  now?: () => number;
};

type Due = { sequence: bigint; since: number };

/** A `BatchSettled` event as the settlement watcher hands it over (chain order). */
export type SettledBatch = { batchId: bigint; root: Hex; count: number; tx?: Hex | undefined };

/**
 * Agrees on batches with the other verifiers and settles them.
 *
 * Ids and rounds (batchIds.ts): the hub takes batch sequence numbers consecutively, so the next
 * batch is sequence `s = sequence(last settled) + 1`. Agreement on `s` runs in rounds: round `r`
 * starts `r × leaderTimeoutMs` after `s` became due (pending results old enough, or a full
 * batch), has id `r << 40 | s`, and is led by signer `(s + r) mod n` of the on-chain set. Only
 * the round's leader proposes (its oldest pending verified results, one per request, with its
 * signature); every verifier signs a leader's proposal once it has verified every listed result
 * itself, at most one root per (id, verifier set), persisted before the signature leaves the
 * node. Whoever holds f + 1 signatures settles: the proposer at once, the others after
 * `leaderTimeoutMs` × their distance from it.
 *
 * Liveness: results a proposal lists that gossip never brought are fetched by hash from peers
 * (`fetchMissing`). A stalled round (crashed leader, lost messages, results a leader holds alone) is
 * followed by a new round with a new leader and a fresh id, so no earlier signature blocks it. A
 * change of the verifier set (rotation, unbonding, slash, reconfiguration) voids every signature
 * over the old digest: the batch is proposed and signed again under the new digest, in whatever
 * round the nodes are in. Settlements arrive from the chain's `BatchSettled` events
 * (`onSettled`); nothing polls per tick.
 */
export class BatchCoordinator {
  readonly name = "batching";
  private readonly options: BatchCoordinatorOptions;
  private readonly now: () => number;
  /** The tick loop: every `tickMs`, and at once after new results, proposals, signatures. */
  private readonly ticks: PeriodicTask;
  /** Proposals (`id:root:digest`) that can never be signed (bad root, settled requests, not the leader). */
  private readonly refused = new Set<string>();
  /** Members whose proposals reached the per-member bound (warned once each). */
  private readonly floodWarned = new Set<string>();
  private due: Due | undefined;
  private readonly lastGossip = new Map<bigint, number>();
  private submitting: bigint | undefined;
  private readonly announced = new Map<bigint, number>();
  private readonly metrics: VerifyMetrics | null;

  constructor(
    options: Partial<BatchCoordinatorOptions>,
    private readonly deps: BatchCoordinatorDeps,
  ) {
    this.options = { ...defaultBatchCoordinatorOptions, ...options };
    this.now = deps.now ?? Date.now;
    this.ticks = new PeriodicTask(
      {
        name: this.name,
        intervalMs: this.options.tickMs,
        runOnStart: true,
        coalesce: true,
        errorMessage: "batch tick failed; retrying next tick",
      },
      (signal) => this.tick(signal),
      { logger: deps.logger },
    );
    this.metrics = deps.metrics ?? null;
  }

  start(): void {
    this.ticks.start();
  }

  stop(): Promise<void> {
    return this.ticks.stop();
  }

  /** Runs a tick now, or once more after the running one (new results, proposals and signatures call this). */
  kick(): void {
    this.ticks.trigger();
  }

  /** One tick, awaited (tests drive the coordinator with an injected clock through this). */
  tickNow(): Promise<void> {
    return this.ticks.runAfter();
  }

  /** A `BatchSettled` event (from the chain watcher, in chain order). Idempotent. */
  onSettled(s: SettledBatch): void {
    this.deps.store.markBatchSettled(s.batchId, s.root, s.count, s.tx);
    this.metrics?.lastSettledBatch.set(Number(batchSequence(this.deps.store.lastSettledBatchId())));
    this.deps.logger.info(
      { batchId: s.batchId.toString(), sequence: batchSequence(s.batchId).toString(), root: s.root },
      "batch settled",
    );
    this.kick();
  }

  /** A proposal from the gossip topic (already checked: signature by `proposer`, set member). */
  onProposal(p: BatchProposalMessage): void {
    const evicted = this.deps.store.insertProposal(
      { ...p, createdAt: this.now() },
      { maxCount: this.options.maxProposalsPerMember, maxBytes: this.options.maxProposalBytesPerMember },
    );
    if (evicted > 0 && !this.floodWarned.has(p.proposer.toLowerCase())) {
      this.floodWarned.add(p.proposer.toLowerCase());
      this.deps.logger.warn(
        { proposer: p.proposer, evicted, max: this.options.maxProposalsPerMember },
        "a member's stored proposals reached the bound; its oldest are dropped",
      );
    }
    this.deps.store.insertSignature({ ...p, verifier: p.proposer });
    const known = this.deps.store.getBatch(p.batchId);
    if (known?.status === "settled" && known.root === p.root && known.resultHashes.length === 0) {
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
    const proposal = this.deps.store.getProposal(batchId, batch.root);
    if (!proposal) return;
    const proposer = this.deps.store
      .signaturesFor(batchId, batch.root, proposal.configDigest)
      .find((s) => isAddressEqual(s.verifier, proposal.proposer));
    if (!proposer) return;
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

  private async tick(signal: AbortSignal): Promise<void> {
    const sequence = batchSequence(this.deps.store.lastSettledBatchId()) + 1n;
    const set = await this.deps.registry.verifierConfig();
    const me = set.signers.findIndex((s) => isAddressEqual(s, this.deps.signer.address));
    if (me < 0) return; // not in the active set: validate and serve, never sign

    this.followProposals(sequence, set);
    const signed = this.deps.store.signedAtSequence(sequence, set.configDigest);
    for (const b of signed) {
      await this.regossip(b);
      await this.maybeSubmit(b, set, me, signal);
    }
    await this.maybePropose(sequence, set, me, signed);
  }

  /** Signs every leader's proposal for `sequence` under the current set whose results we verified. */
  private followProposals(sequence: bigint, set: VerifierSet): void {
    for (const p of this.deps.store.proposalsAtSequence(sequence, set.configDigest)) {
      if (isAddressEqual(p.proposer, this.deps.signer.address)) continue;
      const key = `${p.batchId}:${p.root}:${p.configDigest}`;
      if (this.refused.has(key)) continue;
      const mine = this.deps.store.getBatch(p.batchId);
      if (mine?.configDigest === set.configDigest) continue; // signed this id under this set already
      const leader = roundLeader(sequence, batchRound(p.batchId), set.signers.length);
      if (!isAddressEqual(set.signers[leader]!, p.proposer)) {
        this.refuse(
          key,
          { batchId: p.batchId.toString(), proposer: p.proposer },
          "proposal not by the round's leader",
        );
        continue;
      }
      // Results gossip has not brought are asked of peers once gossip had its chance.
      const fetchDue =
        this.deps.fetchMissing !== undefined && this.now() - p.createdAt >= this.options.fetchMissingAfterMs;
      const tree = this.buildFromProposal(p, fetchDue);
      if (tree === "never") {
        this.refuse(
          key,
          { batchId: p.batchId.toString(), proposer: p.proposer },
          "proposal holds a settled or repeated request",
        );
        continue;
      }
      if ("missing" in tree) {
        // Signed at the tick after they are verified here.
        if (fetchDue) this.deps.fetchMissing?.(tree.missing);
        continue;
      }
      if (tree.root !== p.root || tree.count !== p.count) {
        this.refuse(
          key,
          { batchId: p.batchId.toString(), proposer: p.proposer },
          "proposal root does not match its results",
        );
        continue;
      }
      const batch = this.sign({ ...p, createdAt: this.now() }, "follower");
      if (batch.root === p.root) void this.gossipSignature(batch);
    }
  }

  private refuse(key: string, context: Record<string, unknown>, message: string): void {
    this.refused.add(key);
    if (this.refused.size > 4096) this.refused.delete(this.refused.values().next().value as string);
    this.deps.logger.warn(context, message);
  }

  /**
   * The proposal's tree from our own verified results (their header columns only), or the hashes
   * of those we lack (only the first unless `allMissing`: nothing is fetched yet), or "never" when
   * it can never be signed.
   */
  private buildFromProposal(
    p: StoredBatch,
    allMissing: boolean,
  ): ResultBatchTree | { missing: Hex[] } | "never" {
    const requests = new Set<string>();
    const fields = [];
    const missing: Hex[] = [];
    for (const h of p.resultHashes) {
      const r = this.deps.store.resultHeader(h);
      if (!r) {
        missing.push(h);
        if (!allMissing) break;
        continue;
      }
      if (
        r.status === "settled" ||
        this.deps.store.isRequestSettled(r.requestId) ||
        requests.has(r.requestId)
      ) {
        return "never";
      }
      requests.add(r.requestId);
      fields.push(r);
    }
    return missing.length > 0 ? { missing } : ResultBatchTree.of(fields);
  }

  /** The round we are in for `sequence` (0 until the batch is due), or undefined when nothing is due. */
  private round(sequence: bigint): number | undefined {
    const now = this.now();
    if (this.due?.sequence === sequence) {
      // The sequence's due time is set once: from then on only whether anything is still pending
      // matters, which one indexed row answers (counting every pending result on each tick cost
      // the verifier's event loop about a third of its time under load).
      if (!this.deps.store.hasPending()) {
        this.due = undefined;
        return undefined;
      }
    } else {
      const pending = this.deps.store.pendingSummary(this.options.maxBatchSize);
      if (pending.count === 0 || pending.oldestAt === undefined) {
        this.due = undefined;
        return undefined;
      }
      const full = pending.count >= this.options.maxBatchSize;
      this.due = { sequence, since: full ? now : pending.oldestAt + this.options.maxBatchAgeMs };
    }
    if (now < this.due.since) return undefined;
    return Math.min(MAX_ROUND, Math.floor((now - this.due.since) / this.options.leaderTimeoutMs));
  }

  private async maybePropose(
    sequence: bigint,
    set: VerifierSet,
    me: number,
    signed: readonly StoredBatch[],
  ): Promise<void> {
    const round = this.round(sequence);
    if (round === undefined) return;
    this.metrics?.batchRound.set(round);
    if (roundLeader(sequence, round, set.signers.length) !== me) return;
    const batchId = batchIdOf(sequence, round);
    if (signed.some((b) => b.batchId === batchId)) return; // proposed (or signed) this round already

    const pending = this.deps.store.pendingResults(this.options.maxBatchSize);
    const tree = ResultBatchTree.of(pending);
    const before = this.deps.store.getBatch(batchId);
    const batch = this.sign(
      {
        batchId,
        configDigest: set.configDigest,
        root: tree.root,
        count: tree.count,
        resultHashes: pending.map((r) => r.resultHash),
        proposer: this.deps.signer.address,
        createdAt: this.now(),
      },
      "leader",
    );
    if (batch.root !== tree.root || batch.configDigest !== set.configDigest) return;
    if (before && before.configDigest !== set.configDigest) this.metrics?.batchResigned.inc();
    this.deps.logger.info(
      { batchId: batchId.toString(), sequence: sequence.toString(), round, count: batch.count },
      "proposed batch",
    );
    await this.regossip(batch, true);
  }

  /** Records and signs a root; at most one per (batch id, verifier set), whatever is asked later. */
  private sign(b: Omit<StoredBatch, "status" | "settleTx">, role: "leader" | "follower"): StoredBatch {
    const batch = this.deps.store.recordSignedBatch(b);
    if (batch.root !== b.root || batch.configDigest !== b.configDigest) return batch; // signed another root
    this.deps.store.insertProposal(b);
    const signature = signBatchRoot(this.deps.signer.privateKey, this.deps.domain, toBatchRoot(batch));
    this.deps.store.insertSignature({ ...toBatchRoot(batch), verifier: this.deps.signer.address, signature });
    this.metrics?.batchesSigned.inc({ role });
    return batch;
  }

  private mySignature(b: StoredBatch): Hex | undefined {
    return this.deps.store
      .signaturesFor(b.batchId, b.root, b.configDigest)
      .find((s) => isAddressEqual(s.verifier, this.deps.signer.address))?.signature;
  }

  private async regossip(b: StoredBatch, force = false): Promise<void> {
    const now = this.now();
    if (
      !force &&
      now - (this.lastGossip.get(b.batchId) ?? Number.NEGATIVE_INFINITY) < this.options.regossipMs
    ) {
      return;
    }
    this.lastGossip.set(b.batchId, now);
    if (this.lastGossip.size > 256) this.lastGossip.delete(this.lastGossip.keys().next().value as bigint);
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

  private async maybeSubmit(
    b: StoredBatch,
    set: VerifierSet,
    me: number,
    signal: AbortSignal,
  ): Promise<void> {
    const members = new Set(set.signers.map((s) => s.toLowerCase()));
    const signatures = this.deps.store
      .signaturesFor(b.batchId, b.root, b.configDigest)
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
      // Idempotent: the chain may already hold this sequence (another verifier or round, or us
      // before a crash); its BatchSettled event will move us on.
      if (batchSequence(await this.deps.chain.lastBatchId()) >= batchSequence(b.batchId)) return;
      const chosen = signatures.slice(0, set.f + 1).map((s) => s.signature);
      const tx = await this.deps.chain.settleBatch(toBatchRoot(b), chosen, signal);
      this.metrics?.batchesSettled.inc();
      this.deps.logger.info({ batchId: b.batchId.toString(), tx, count: b.count }, "settled batch");
      this.onSettled({ batchId: b.batchId, root: b.root, count: b.count, tx });
    } catch (err) {
      // The set may have changed under the batch (ConfigDigestMismatch): read it again.
      this.deps.registry.invalidate();
      this.deps.logger.warn({ err, batchId: b.batchId.toString() }, "settlement failed; will retry");
    } finally {
      this.submitting = undefined;
    }
  }
}

function toBatchRoot(b: { configDigest: Hex; batchId: bigint; root: Hex; count: number }): BatchRoot {
  return { configDigest: b.configDigest, batchId: b.batchId, root: b.root, count: b.count };
}
