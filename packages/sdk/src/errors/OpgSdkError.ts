import { OpgError, type OpgErrorOptions } from "@opg/protocol";

/** Bounded codes of every error the SDK throws. */
export type SdkErrorCode =
  /** A parameter or option is invalid (bad tensors, missing field, input too large…). */
  | "INVALID_ARGUMENT"
  /** The call needs an option the client was created without (`account`, `execUrl`, `verifyUrl`). */
  | "MISSING_CONFIG"
  /** The executor did not answer (connection refused, reset, timed out). Retryable. */
  | "EXECUTOR_UNREACHABLE"
  /** The executor answered with an error (`meta.status`, `meta.remoteCode`). */
  | "EXECUTOR_ERROR"
  /** No verifier answered (connection refused, reset, timed out). Retryable. */
  | "VERIFIER_UNREACHABLE"
  /** A verifier answered with an error (`meta.status`, `meta.remoteCode`). */
  | "VERIFIER_ERROR"
  /** An executor or verifier answered something that is not the documented JSON. */
  | "BAD_RESPONSE"
  /** The verifiers rejected the result (`meta.reason`). */
  | "REJECTED"
  /** The wait ran out of time. Retryable. */
  | "TIMEOUT"
  /** The caller's AbortSignal fired. */
  | "ABORTED"
  /** A signature does not recover to the address it claims (executor result, or the local signer). */
  | "BAD_SIGNATURE"
  /** A hash does not match the data it claims to hash (outputs vs outputHash, resultHash, requestId). */
  | "HASH_MISMATCH"
  /** An answer is about another model, input or request than the one asked for. */
  | "REQUEST_MISMATCH"
  /** The executor's signing key is not an active registered executor on chain. */
  | "UNKNOWN_EXECUTOR"
  /** The result is not (yet) in a settled batch. */
  | "NOT_SETTLED"
  /** The request is not known (no InferenceRequested event found). */
  | "NOT_FOUND"
  /** The Merkle proof does not check against the on-chain root. */
  | "PROOF_INVALID"
  /** An RPC call or transaction failed (`cause` is the `@opg/chain` error; `meta.chainCode`, `meta.errorName`). */
  | "CHAIN_ERROR";

const RETRYABLE_CODES: ReadonlySet<SdkErrorCode> = new Set([
  "EXECUTOR_UNREACHABLE",
  "VERIFIER_UNREACHABLE",
  "TIMEOUT",
]);

export type OpgSdkErrorOptions = OpgErrorOptions & {
  /** Overrides the default (true for unreachable services and timeouts). */
  retryable?: boolean | undefined;
};

/**
 * The one error type of `@opg/sdk`: an `OpgError` (shortMessage, details, cause, meta) with a bounded
 * {@link SdkErrorCode}. `retryable` says whether the same call may succeed later.
 */
export class OpgSdkError extends OpgError<SdkErrorCode> {
  override name = "OpgSdkError";
  override readonly retryable: boolean;

  constructor(code: SdkErrorCode, shortMessage: string, options: OpgSdkErrorOptions = {}) {
    const { retryable, ...rest } = options;
    super(code, shortMessage, rest);
    this.retryable = retryable ?? RETRYABLE_CODES.has(code);
  }
}

/** True when `error` is an {@link OpgSdkError} (with `code`, when given). */
export function isOpgSdkError(error: unknown, code?: SdkErrorCode): error is OpgSdkError {
  return error instanceof OpgSdkError && (code === undefined || error.code === code);
}
