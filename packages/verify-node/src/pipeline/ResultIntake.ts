import type { Logger, Metrics } from "@opg/daemon";
import { decodeResultMessage, OpgError, resultHash } from "@opg/protocol";
import type { Counter } from "prom-client";
import { keccak256 } from "viem";
import type { VerifierStore } from "../store/VerifierStore.js";
import { ResultRejected, type ResultValidator, type VerifiedResult } from "./ResultValidator.js";

export type ResultIntakeOptions = {
  /** Rejections kept for the API (oldest dropped first). */
  keepRejections: number;
  /** Results waiting for the chain to come back (oldest dropped first). */
  keepDeferred: number;
  /** How often deferred results are checked again. */
  retryDeferredMs: number;
};

export const defaultResultIntakeOptions: ResultIntakeOptions = {
  keepRejections: 10_000,
  keepDeferred: 100_000,
  retryDeferredMs: 2_000,
};

/**
 * Where results enter the verifier: the gossip validator (`validate`, which decides ACCEPT,
 * REJECT or IGNORE) and handler (`accept`, which stores). A result that could not be checked for
 * lack of the chain is kept durably and checked again once the chain answers, so an RPC outage
 * loses nothing.
 */
export class ResultIntake {
  readonly name = "intake";
  private readonly options: ResultIntakeOptions;
  private timer: NodeJS.Timeout | undefined;
  private retrying = false;
  private readonly stored: Counter | undefined;
  private readonly deferredTotal: Counter | undefined;

  constructor(
    options: Partial<ResultIntakeOptions>,
    private readonly deps: {
      validator: ResultValidator;
      store: VerifierStore;
      logger: Logger;
      metrics?: Metrics | undefined;
      /** Told after each newly stored result (the batch coordinator). */
      onStored?: (() => void) | undefined;
      now?: () => number;
    },
  ) {
    this.options = { ...defaultResultIntakeOptions, ...options };
    this.stored = deps.metrics?.counter({
      area: "verify",
      name: "results_verified",
      help: "Results verified and stored.",
    });
    this.deferredTotal = deps.metrics?.counter({
      area: "verify",
      name: "results_deferred",
      help: "Results kept to check again because the chain was unreachable.",
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.retryDeferred(), this.options.retryDeferredMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
      this.stored?.inc();
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
    const now = (this.deps.now ?? Date.now)();
    if (err.code === "CHAIN_UNAVAILABLE") {
      this.deps.store.deferResult(keccak256(bytes), bytes, now, this.options.keepDeferred);
      this.deferredTotal?.inc();
      return;
    }
    if (err.action !== "REJECT" || err.step === "decode") return;
    // Decodable but refused: remember why, for GET /v1/results/:requestId.
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

  /** Checks deferred results again; stops at the first one the chain still cannot answer. */
  async retryDeferred(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
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
    } finally {
      this.retrying = false;
    }
  }
}
