import type { Logger } from "@opg/protocol";
import { ChainError, type ChainRetryableError } from "../errors/ChainError.js";
import { type ClassifyOptions, classifyError } from "../errors/classifyError.js";
import { type BackoffOptions, backoffDelay } from "./backoff.js";
import { sleep } from "./sleep.js";

export type RetryOptions = {
  /** Total tries, the first included (1: no retry). */
  attempts: number;
  backoff: BackoffOptions;
};

export type WithRetryContext = ClassifyOptions & {
  /** Stops retrying (and makes the call fail with STOPPED) once aborted. */
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /** What is being tried, for logs. */
  operation?: string | undefined;
  /** Called with every classified failure (metrics). */
  onError?: ((error: ChainError | ChainRetryableError) => void) | undefined;
};

/**
 * Runs `fn`, retrying retryable failures with backoff. Always throws a classified error
 * (`ChainError` or `ChainRetryableError` once attempts are spent).
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  options: RetryOptions,
  context: WithRetryContext = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (context.signal?.aborted) throw stopped(context.operation);
    try {
      return await fn();
    } catch (raw) {
      const error = classifyError(raw, context);
      context.onError?.(error);
      if (!error.retryable || attempt >= options.attempts) throw error;
      const delay = backoffDelay(attempt, options.backoff);
      context.logger?.warn(
        {
          operation: context.operation,
          code: error.code,
          attempt,
          delayMs: delay,
          err: error.details ?? error.message,
        },
        "RPC call failed; retrying",
      );
      await sleep(delay, context.signal);
    }
  }
}

function stopped(operation: string | undefined): ChainError {
  return new ChainError("STOPPED", "Stopped before the operation finished.", { meta: { operation } });
}
