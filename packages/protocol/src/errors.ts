/**
 * One base error for the whole project (viem-style): a short human message, optional details,
 * an optional cause, and a bounded machine-readable `code`.
 */
export type OpgErrorOptions = {
  details?: string | undefined;
  cause?: unknown;
  /** Extra structured context for logs; never secrets, never raw peer data. */
  meta?: Record<string, unknown> | undefined;
};

export class OpgError<TCode extends string = string> extends Error {
  override name = "OpgError";
  readonly code: TCode;
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly meta: Record<string, unknown> | undefined;
  /** True when the same operation may succeed if tried again (RPC hiccup, busy queue). */
  readonly retryable: boolean = false;

  constructor(code: TCode, shortMessage: string, options: OpgErrorOptions = {}) {
    const message = options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.meta = options.meta;
  }
}

/** An error worth retrying (transient). Non-retryable errors extend OpgError directly. */
export class RetryableError<TCode extends string = string> extends OpgError<TCode> {
  override name = "RetryableError";
  override readonly retryable = true;
}

/**
 * What gossip validation does with a message that failed: REJECT penalises the sender
 * (invalid by protocol), IGNORE drops it silently (duplicate, not yet relevant).
 */
export type ValidationAction = "REJECT" | "IGNORE";

/** A gossip validation failure; mapped to gossipsub results in exactly one place (`@opg/p2p`). */
export class ValidationError<TCode extends string = string> extends OpgError<TCode> {
  override name = "ValidationError";
  readonly action: ValidationAction;

  constructor(action: ValidationAction, code: TCode, shortMessage: string, options: OpgErrorOptions = {}) {
    super(code, shortMessage, options);
    this.action = action;
  }
}
