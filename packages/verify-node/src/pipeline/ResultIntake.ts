import { type Logger, type Module, PeriodicTask } from "@opg/daemon";
import { decodeResultMessage, OpgError, resultHash } from "@opg/protocol";
import { keccak256 } from "viem";
import type { VerifierStore } from "../store/VerifierStore.js";
import type { VerifyMetrics } from "../verifyMetrics.js";
import { ResultRejected, type ResultValidator, type VerifiedResult } from "./ResultValidator.js";

export type ResultIntakeOptions = {
  /** Rejections kept for the API (oldest dropped first). */
  keepRejections: number;
  /** How long a rejection stays visible in the API. */
  rejectionRetentionMs: number;
  /** Results waiting for the chain to come back (oldest dropped first). */
  keepDeferred: number;
  /** Byte cap of the results waiting for the chain (oldest dropped first). */
  maxDeferredBytes: number;
  /** How long a deferred result is kept (executors republish open results meanwhile). */
  deferredRetentionMs: number;
  /** How often deferred results are checked again. */
  retryDeferredMs: number;
  /** How often retention is applied (deferred results, rejections, fetched payloads). */
  pruneIntervalMs: number;
  /** How long fetched payloads (outputs gossiped by reference) are kept. */
  payloadRetentionMs: number;
  /** How long a settled result is kept (from its arrival); results awaiting a batch always stay. */
  resultRetentionMs: number;
  /** Byte cap of the settled results' messages kept (oldest dropped first). */
  maxResultBytes: number;
  /** How long batch signatures and proposals of settled rounds are kept. */
  signatureRetentionMs: number;
  /** Byte cap of all batch signatures kept (oldest dropped first; a safety net). */
  maxSignatureBytes: number;
};

export const defaultResultIntakeOptions: ResultIntakeOptions = {
  keepRejections: 10_000,
  rejectionRetentionMs: 24 * 3_600_000,
  keepDeferred: 10_000,
  maxDeferredBytes: 64 * 1024 * 1024,
  deferredRetentionMs: 3_600_000,
  retryDeferredMs: 2_000,
  pruneIntervalMs: 60_000,
  payloadRetentionMs: 24 * 3_600_000,
  resultRetentionMs: 7 * 24 * 3_600_000,
  maxResultBytes: 1024 * 1024 * 1024,
  signatureRetentionMs: 24 * 3_600_000,
  maxSignatureBytes: 64 * 1024 * 1024,
};

/**
 * Where results enter the verifier: the gossip validator (`validate`, which decides ACCEPT,
 * REJECT or IGNORE) and handler (`accept`, which stores). Only authenticated messages (executor
 * signature verified, executor registered) leave a trace: a refusal of one is recorded for the
 * API, and one that could not be checked for lack of the chain is kept durably (bounded in items,
 * bytes and age) and checked again once the chain answers. An unauthenticated message is dropped
 * without a trace; one whose executor could not be looked up (RPC down, executor never seen) is
 * dropped too and arrives again when its executor republishes it.
 */
export class ResultIntake {
  readonly name = "intake";
  private readonly options: ResultIntakeOptions;
  /** Checks deferred results again every `retryDeferredMs`. */
  private readonly retries: PeriodicTask;
  /** Applies retention every `pruneIntervalMs`. */
  private readonly pruning: PeriodicTask;
  private readonly metrics: VerifyMetrics | null;

  constructor(
    options: Partial<ResultIntakeOptions>,
    private readonly deps: {
      validator: ResultValidator;
      store: VerifierStore;
      logger: Logger;
      metrics?: VerifyMetrics | null | undefined;
      /** Told after each newly stored result (the batch coordinator). */
      onStored?: (() => void) | undefined;
      now?: () => number;
    },
  ) {
    this.options = { ...defaultResultIntakeOptions, ...options };
    this.retries = new PeriodicTask(
      {
        name: "intake-deferred",
        intervalMs: this.options.retryDeferredMs,
        errorMessage: "checking deferred results again failed",
      },
      () => this.checkDeferred(),
      { logger: deps.logger },
    );
    this.pruning = new PeriodicTask(
      { name: "intake-retention", intervalMs: this.options.pruneIntervalMs },
      () => this.prune(),
      { logger: deps.logger },
    );
    this.metrics = deps.metrics ?? null;
  }

  /** The periodic parts, as lifecycle modules: deferred retries and retention. */
  get modules(): readonly Module[] {
    return [this.retries, this.pruning];
  }

  start(): void {
    this.retries.start();
    this.pruning.start();
  }

  async stop(): Promise<void> {
    await this.pruning.stop();
    await this.retries.stop();
  }

  /**
   * Applies retention: deferred results, rejections, fetched payloads, settled results, and batch
   * signatures and proposals of settled rounds (each by age, and by bytes where capped).
   */
  prune(): void {
    const now = (this.deps.now ?? Date.now)();
    const o = this.options;
    try {
      this.deps.store.prune({
        deferredBefore: now - o.deferredRetentionMs,
        rejectionsBefore: now - o.rejectionRetentionMs,
      });
      this.deps.store.prunePayloads(now - o.payloadRetentionMs);
      const pruned = this.deps.store.pruneSettled({
        resultsBefore: now - o.resultRetentionMs,
        maxResultBytes: o.maxResultBytes,
        signaturesBefore: now - o.signatureRetentionMs,
        maxSignatureBytes: o.maxSignatureBytes,
      });
      if (pruned.results + pruned.signatures + pruned.proposals > 0) {
        this.deps.logger.debug(pruned, "retention applied to settled results and batch signatures");
      }
    } catch (err) {
      this.deps.logger.error({ err }, "pruning the verifier store failed");
    }
  }

  /** The gossip validator of the results topic. */
  validate = async (bytes: Uint8Array): Promise<VerifiedResult> => {
    try {
      return await this.deps.validator.validate(bytes);
    } catch (err) {
      this.record(bytes, err);
      throw err;
    }
  };

  /** The gossip handler of the results topic: stores what the validator accepted. */
  accept = (result: VerifiedResult): void => {
    const m = result.message;
    const fresh = this.deps.store.insertResult({
      resultHash: result.resultHash,
      requestId: m.requestId,
      modelId: m.modelId,
      inputHash: m.inputHash,
      outputHash: m.outputHash,
      executor: m.executor,
      mode: m.mode,
      message: result.bytes,
      receivedAt: (this.deps.now ?? Date.now)(),
    });
    if (fresh) {
      this.metrics?.resultsVerified.inc();
      this.deps.logger.debug({ requestId: m.requestId, resultHash: result.resultHash }, "result verified");
      this.deps.onStored?.();
    }
  };

  private record(bytes: Uint8Array, err: unknown): void {
    if (!(err instanceof ResultRejected)) return;
    if (err.code === "INTERNAL") {
      this.deps.logger.error({ err: err.cause, step: err.step }, "result validation failed inside this node");
      return;
    }
    // Anyone can make a message that fails before authentication, under any requestId: nothing of
    // it is stored, deferred or shown.
    if (!err.authenticated) return;
    const now = (this.deps.now ?? Date.now)();
    if (err.code === "CHAIN_UNAVAILABLE") {
      const kept = this.deps.store.deferResult(keccak256(bytes), bytes, now, {
        maxItems: this.options.keepDeferred,
        maxBytes: this.options.maxDeferredBytes,
      });
      if (kept) this.metrics?.resultsDeferred.inc();
      return;
    }
    if (err.action !== "REJECT") return;
    // Refused although signed by a registered executor: remember why, for GET /v1/results/:requestId.
    try {
      const m = decodeResultMessage(bytes);
      this.deps.store.insertRejection(
        {
          requestId: m.requestId,
          resultHash: resultHash(m),
          code: err.code,
          reason: err.shortMessage,
          at: now,
          cause: err.cause instanceof OpgError ? String(err.cause.code) : undefined,
        },
        this.options.keepRejections,
      );
    } catch {
      // not decodable: nothing to index it by
    }
  }

  /** Checks deferred results again (or joins the check running); see `checkDeferred`. */
  retryDeferred(): Promise<void> {
    return this.retries.runNow();
  }

  /** Checks deferred results again; stops at the first one the chain still cannot answer. */
  private async checkDeferred(): Promise<void> {
    for (const d of this.deps.store.deferredResults(200)) {
      try {
        this.accept(await this.deps.validator.validate(d.message));
        this.deps.store.dropDeferred(d.digest);
      } catch (err) {
        if (err instanceof ResultRejected && err.code === "CHAIN_UNAVAILABLE") {
          this.deps.store.bumpDeferred(d.digest);
          return;
        }
        this.deps.store.dropDeferred(d.digest);
        this.record(d.message, err);
      }
    }
  }
}
