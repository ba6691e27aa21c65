import type {
  DeliverParams,
  InferenceRequestRecord,
  RequestStatusName,
  SettleWithProofParams,
} from "@opg/chain";
import { backoffDelay, RevertedError } from "@opg/chain";
import { type Logger, PeriodicTask } from "@opg/daemon";
import { decodeResultMessage, ProofMode, ResultBatchTree, verifierResultSchema } from "@opg/protocol";
import { eth } from "@opg/runtime";
import { type Address, type Hex, parseEther } from "viem";
import type { ExecMetrics } from "../execMetrics.js";
import { zkSettlement } from "../intake/directIntake.js";
import type { ExecStore } from "../store/ExecStore.js";

/** The hub's delivery grace after a request's deadline (`InferenceHub.DELIVERY_GRACE`). */
export const DELIVERY_GRACE_S = 3_600;

export type DelivererOptions = {
  /** Verifier API base URLs asked, in order, for a settled result's batch and Merkle proof. */
  verifierUrls: readonly string[];
  /** Timeout of one verifier request. */
  fetchTimeoutMs: number;
  /** Due deliveries are looked at this often (a `BatchSettled` event makes them all due). */
  intervalMs: number;
  /** Longest wait before asking the verifiers again for a result not settled yet. */
  recheckMs: number;
  /** Failed delivery transactions before the request is left to others. */
  maxAttempts: number;
  /** Backoff between failed transactions. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Requests pending delivery at most (beyond: not tracked, anyone may still deliver them). */
  maxPending: number;
  /**
   * ZK requests: `quorum` waits for the verifiers' batch; `proof` settles with the ZK proof at once
   * (`settleWithProof`, no quorum); `auto` uses the batch and falls back to the proof after `zkQuorumTimeoutMs`.
   */
  zk: "quorum" | "proof" | "auto";
  zkQuorumTimeoutMs: number;
  /** Balance floor of the signing key (ETH): under it no delivery transaction is sent. */
  minBalanceEth: string;
};

export const defaultDelivererOptions: DelivererOptions = {
  verifierUrls: [],
  fetchTimeoutMs: 5_000,
  intervalMs: 1_000,
  recheckMs: 30_000,
  maxAttempts: 5,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
  maxPending: 10_000,
  zk: "auto",
  zkQuorumTimeoutMs: 120_000,
  minBalanceEth: "0.001",
};

/** The hub calls the deliverer makes (an `InferenceHubActions` fits). */
export type DeliveryHub = {
  requestStatus(requestId: Hex): Promise<RequestStatusName>;
  batchRoot(batchId: bigint): Promise<Hex>;
  deliver(p: DeliverParams): Promise<{ hash: Hex }>;
  settleWithProof(p: SettleWithProofParams): Promise<{ hash: Hex }>;
};

export type DeliveryOutcome =
  | "delivered"
  | "settled_with_proof"
  | "delivered_by_other"
  | "refunded"
  | "expired"
  | "failed"
  | "other_executor"
  | "untracked";

/**
 * Delivers this executor's settled on-chain results itself (`InferenceHub.deliver`): the request
 * record is kept durably from the moment it is executed; once a `BatchSettled` event arrives the
 * verifiers are asked for the batch id and Merkle proof, the proof is checked against the settled
 * root read from the chain, and the transaction is sent with retries and backoff. Anyone may
 * deliver: a request found delivered (status or revert) is dropped without error. ZK requests
 * may settle by their proof alone (`settleWithProof`).
 */
export class Deliverer {
  readonly name = "delivery";
  private readonly o: DelivererOptions;
  /** Works through the due deliveries every `intervalMs`. */
  private readonly passes: PeriodicTask;
  private readonly metrics: ExecMetrics | null;
  private readonly minBalance: bigint;
  /** The signer's balance when last found under the floor (undefined: not under it). */
  private lowBalance: bigint | undefined;

  constructor(
    options: Partial<DelivererOptions>,
    private readonly deps: {
      store: ExecStore;
      hub: DeliveryHub;
      executor: Hex;
      /** The signing key's balance (wei); checked against `minBalanceEth` before sending. */
      balance?: () => Promise<bigint>;
      logger: Logger;
      metrics?: ExecMetrics | null | undefined;
      fetch?: typeof fetch;
      now?: () => number;
    },
  ) {
    this.o = { ...defaultDelivererOptions, ...options };
    this.minBalance = parseEther(this.o.minBalanceEth);
    this.passes = new PeriodicTask(
      { name: this.name, intervalMs: this.o.intervalMs, errorMessage: "delivery pass failed; trying again" },
      () => this.pass(),
      { logger: deps.logger },
    );
    this.metrics = deps.metrics ?? null;
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Tracks an executed on-chain request for delivery (idempotent; bounded by `maxPending`). */
  track(requestId: Hex, request: InferenceRequestRecord): void {
    const json = JSON.stringify(request, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    if (!this.deps.store.addDelivery(requestId, json, this.now, this.o.maxPending)) {
      this.metrics?.deliveries.inc({ outcome: "untracked" });
      this.deps.logger.warn(
        { requestId, max: this.o.maxPending },
        "delivery queue full; request not tracked",
      );
    }
  }

  /** A batch settled: every pending delivery may now have its proof. */
  onBatchSettled(): void {
    this.deps.store.wakeDeliveries(this.now);
  }

  start(): void {
    this.passes.start();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /** Works through the due deliveries once (no overlap: joins a running pass). */
  tick(): Promise<void> {
    return this.passes.runNow();
  }

  /** Why deliveries are held back (empty: they are not); `/health` reports it as degraded. */
  problems(): string[] {
    if (this.lowBalance === undefined) return [];
    const signer = this.deps.executor;
    return [
      `signer ${signer} holds ${eth(this.lowBalance)}, under the delivery floor of ${eth(this.minBalance)} (delivery.minBalanceEth): deliveries wait until you send ETH to ${signer}`,
    ];
  }

  /** Whether the signer may send: at or above the floor (a failed read does not stop delivery). */
  private async funded(): Promise<boolean> {
    if (!this.deps.balance || this.minBalance === 0n) return true;
    let balance: bigint;
    try {
      balance = await this.deps.balance();
    } catch (err) {
      this.deps.logger.debug({ err }, "reading the signer's balance failed");
      return this.lowBalance === undefined;
    }
    const low = balance < this.minBalance;
    const was = this.lowBalance !== undefined;
    this.lowBalance = low ? balance : undefined;
    if (low && !was)
      this.deps.logger.warn(
        { reason: this.problems()[0] },
        "deliveries held back: signer under the balance floor",
      );
    if (!low && was)
      this.deps.logger.info({ balance: eth(balance) }, "signer funded again: deliveries resume");
    return !low;
  }

  private async pass(): Promise<void> {
    const due = this.deps.store.dueDeliveries(this.now, 32);
    // Under the floor nothing is sent and no attempt is spent: the deliveries stay due.
    if (due.length === 0 || !(await this.funded())) return;
    for (const p of due) {
      try {
        await this.attempt(p.requestId, parseRecord(p.request), p.createdAt, p.attempts);
      } catch (err) {
        this.deps.logger.warn({ err, requestId: p.requestId }, "delivery attempt failed");
        this.retry(p.requestId, p.attempts + 1);
      }
    }
  }

  private finish(requestId: Hex, outcome: DeliveryOutcome, fields: Record<string, unknown> = {}): void {
    this.deps.store.removeDelivery(requestId);
    this.metrics?.deliveries.inc({ outcome });
    const log = outcome === "failed" ? this.deps.logger.warn : this.deps.logger.info;
    log.call(this.deps.logger, { requestId, outcome, ...fields }, "delivery");
  }

  private retry(requestId: Hex, attempts: number): void {
    if (attempts >= this.o.maxAttempts) {
      this.finish(requestId, "failed", { attempts });
      return;
    }
    const delay = backoffDelay(attempts, {
      initialDelayMs: this.o.retryBaseMs,
      maxDelayMs: this.o.retryMaxMs,
      factor: 2,
      jitter: 0,
    });
    this.deps.store.rescheduleDelivery(requestId, this.now + delay, attempts);
  }

  private async attempt(
    requestId: Hex,
    request: InferenceRequestRecord,
    createdAt: number,
    attempts: number,
  ): Promise<void> {
    const { hub, store } = this.deps;
    const status = await hub.requestStatus(requestId);
    if (status === "delivered") return this.finish(requestId, "delivered_by_other");
    if (status === "refunded") return this.finish(requestId, "refunded");
    const nowS = Math.floor(this.now / 1000);
    if (status === "none" || nowS > Number(request.deadline) + DELIVERY_GRACE_S) {
      return this.finish(requestId, "expired");
    }
    const record = store.get(requestId);
    if (!record) return this.finish(requestId, "expired", { reason: "result no longer stored" });
    const decoded = decodeResultMessage(record.message);
    // Outputs gossiped by reference are kept in the payload store.
    const outputs = decoded.outputs.length === 0 ? store.payload(decoded.outputHash) : decoded.outputs;
    if (!outputs) return this.finish(requestId, "failed", { reason: "outputs no longer stored" });
    const m = { ...decoded, outputs };
    const output = `0x${Buffer.from(m.outputs).toString("hex")}` as Hex;
    const useProof =
      m.mode === ProofMode.ZK &&
      nowS <= Number(request.deadline) &&
      (this.o.zk === "proof" || (this.o.zk === "auto" && this.now - createdAt >= this.o.zkQuorumTimeoutMs));
    if (useProof) {
      const s = zkSettlement(m.proof, m.outputs);
      return this.send(requestId, createdAt, attempts, "settled_with_proof", () =>
        hub.settleWithProof({
          requestId,
          request,
          input: s.input,
          output: s.output,
          executor: m.executor,
          zkProof: s.zkProof,
        }),
      );
    }
    const fields = {
      requestId,
      modelId: m.modelId,
      inputHash: m.inputHash,
      outputHash: m.outputHash,
      executor: m.executor,
    };
    const inclusion = await this.findProof(fields);
    if (inclusion === "other") return this.finish(requestId, "other_executor");
    if (!inclusion) {
      // Not settled yet (or no verifier has the whole batch): a BatchSettled event makes it due again.
      const wait =
        m.mode === ProofMode.ZK && this.o.zk === "auto" ? this.o.zkQuorumTimeoutMs : this.o.recheckMs;
      store.rescheduleDelivery(requestId, this.now + Math.min(wait, this.o.recheckMs), attempts);
      return;
    }
    return this.send(
      requestId,
      createdAt,
      attempts,
      "delivered",
      () =>
        hub.deliver({
          requestId,
          request,
          output,
          executor: m.executor,
          batchId: inclusion.batchId,
          proof: inclusion.proof,
        }),
      { batchId: inclusion.batchId.toString(), verifier: inclusion.url },
    );
  }

  private async send(
    requestId: Hex,
    createdAt: number,
    attempts: number,
    outcome: DeliveryOutcome,
    tx: () => Promise<{ hash: Hex }>,
    fields: Record<string, unknown> = {},
  ): Promise<void> {
    try {
      const { hash } = await tx();
      this.metrics?.deliveryLatency.observe((this.now - createdAt) / 1000);
      this.finish(requestId, outcome, { tx: hash, ...fields });
    } catch (err) {
      const name = err instanceof RevertedError ? err.errorName : undefined;
      if (name === "AlreadyDelivered") return this.finish(requestId, "delivered_by_other");
      if (name === "AlreadyRefunded") return this.finish(requestId, "refunded");
      if (name === "RequestExpired") return this.finish(requestId, "expired");
      this.deps.logger.warn({ err, requestId, attempt: attempts + 1 }, "delivery transaction failed");
      this.retry(requestId, attempts + 1);
    }
  }

  /** The first verifier answer whose proof checks against the root settled on chain. */
  private async findProof(
    fields: Parameters<typeof ResultBatchTree.verify>[1],
  ): Promise<{ batchId: bigint; proof: Hex[]; url: string } | "other" | undefined> {
    const doFetch = this.deps.fetch ?? fetch;
    for (const base of this.o.verifierUrls) {
      const url = new URL(
        `v1/results/${fields.requestId}`,
        base.endsWith("/") ? base : `${base}/`,
      ).toString();
      let body: unknown;
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(this.o.fetchTimeoutMs) });
        if (res.status !== 200) continue;
        body = await res.json();
      } catch (err) {
        this.deps.logger.debug({ err, url }, "verifier unreachable for a delivery proof");
        continue;
      }
      const parsed = verifierResultSchema.safeParse(body);
      if (!parsed.success) {
        this.deps.logger.debug(
          { url, issue: parsed.error.issues[0]?.message },
          "verifier answer is not a result",
        );
        continue;
      }
      const b = parsed.data;
      if (b.status !== "settled" || b.batchId === undefined || !b.proof) continue;
      const batchId = BigInt(b.batchId);
      const proof = b.proof;
      if (b.executor.toLowerCase() !== fields.executor.toLowerCase()) {
        // Another executor's result settled for this request: it is theirs to deliver (and be paid for).
        // Believed only once the root is on chain and the claimed proof checks against it.
        if (await this.settledForOther(batchId, { ...b, proof }, fields)) return "other";
        continue;
      }
      const root = await this.deps.hub.batchRoot(batchId);
      if (ResultBatchTree.verify(root, fields, proof)) return { batchId, proof, url: base };
      this.deps.logger.warn(
        { url, batchId: b.batchId },
        "verifier's Merkle proof does not match the settled root",
      );
    }
    return undefined;
  }

  /** Whether the verifier's answer proves another executor's result settled in `batchId` for this request. */
  private async settledForOther(
    batchId: bigint,
    b: { proof: Hex[]; executor: Address; outputHash: Hex },
    fields: Parameters<typeof ResultBatchTree.verify>[1],
  ): Promise<boolean> {
    const root = await this.deps.hub.batchRoot(batchId);
    const other = { ...fields, outputHash: b.outputHash, executor: b.executor };
    return ResultBatchTree.verify(root, other, b.proof);
  }
}

function parseRecord(json: string): InferenceRequestRecord {
  const r = JSON.parse(json) as Record<string, unknown>;
  return {
    ...(r as unknown as InferenceRequestRecord),
    callbackGasPrice: BigInt(r["callbackGasPrice"] as string),
    deadline: BigInt(r["deadline"] as string),
    fee: BigInt(r["fee"] as string),
  };
}
