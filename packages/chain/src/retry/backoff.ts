/** Exponential backoff with jitter. */
export type BackoffOptions = {
  /** Delay after the first failure. */
  initialDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
  /** Growth per failure. */
  factor: number;
  /** Fraction of the delay randomised away (0: none, 0.2: up to 20 % shorter). */
  jitter: number;
};

export const defaultBackoffOptions: BackoffOptions = {
  initialDelayMs: 250,
  maxDelayMs: 15_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = options.initialDelayMs * options.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(options.maxDelayMs, exp);
  return Math.max(0, Math.round(capped * (1 - options.jitter * random())));
}
