import type { Logger } from "@opg/protocol";
import { type Abi, type Address, BaseError } from "viem";
import { ChainError, type ChainRetryableError } from "../errors/ChainError.js";
import { backoffDelay } from "../retry/backoff.js";
import { withRetry } from "../retry/withRetry.js";
import type { TxSenderOptions } from "./TxSenderOptions.js";
import type { Pending, TxSenderDeps } from "./txTypes.js";

/** What the parts of the transaction sender share: options, dependencies, RPC retries, interruption. */
export class TxContext {
  constructor(
    readonly options: TxSenderOptions,
    readonly deps: TxSenderDeps,
    readonly logger: Logger,
    /** True once the sender stopped (then an interrupted send is STOPPED, not ABORTED). */
    private readonly stopped: () => boolean,
  ) {}

  get address(): Address {
    return this.deps.account.address;
  }

  rpc<T>(
    operation: string,
    fn: () => Promise<T>,
    signal: AbortSignal,
    abi?: Abi,
    label?: string,
  ): Promise<T> {
    return withRetry(fn, this.options.rpcRetry, {
      abi,
      signal,
      logger: this.logger,
      operation: label ? `${operation}(${label})` : operation,
      onError: (error: ChainError | ChainRetryableError) => {
        if (error.retryable) this.deps.metrics?.onRpcError?.(error.code);
      },
    });
  }

  backoff(attempt: number): number {
    return backoffDelay(attempt, this.options.rpcRetry.backoff);
  }

  /**
   * Why a send was interrupted: the sender stopped (`STOPPED`), else its caller gave up (`ABORTED`).
   * `pending`: the broadcast transaction, when there is one (or its log fields).
   */
  interrupted(pending?: Pending | Record<string, unknown>): ChainError {
    const meta = isPending(pending)
      ? { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label }
      : pending;
    const broadcast = meta?.["nonce"] !== undefined;
    if (this.stopped()) {
      return new ChainError("STOPPED", "The transaction sender stopped before the transaction was mined.", {
        meta,
      });
    }
    return new ChainError(
      "ABORTED",
      broadcast
        ? "The send was aborted while waiting for its receipt; the transaction may still be mined."
        : "The send was aborted before its transaction was broadcast.",
      { meta },
    );
  }
}

export function isPending(p: Pending | Record<string, unknown> | undefined): p is Pending {
  return p !== undefined && "request" in p && "serialized" in p;
}

/** Whether `error` or one of its causes is a `type`. */
export function hasCause(error: unknown, type: abstract new (...args: never[]) => Error): boolean {
  if (error instanceof BaseError) return error.walk((e) => e instanceof type) !== null;
  let current: unknown = error;
  for (let i = 0; i < 16 && current; i++) {
    if (current instanceof type) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
