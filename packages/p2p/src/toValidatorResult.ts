import { TopicValidatorResult } from "@libp2p/gossipsub";
import { OpgError, ValidationError } from "@opg/protocol";

/**
 * THE mapping from a validator's failure to gossipsub's verdict, in exactly one place:
 * a `ValidationError` maps to its action (`REJECT` penalises the sender, `IGNORE` drops the
 * message silently); anything else a validator throws (a bug, an unexpected input) is `REJECT`.
 */
export function toValidatorResult(error: unknown): TopicValidatorResult {
  if (error instanceof ValidationError && error.action === "IGNORE") return TopicValidatorResult.Ignore;
  return TopicValidatorResult.Reject;
}

/** The bounded code of a validation failure, for metrics and logs (`UNEXPECTED` for non-opg errors). */
export function validationErrorCode(error: unknown): string {
  return error instanceof OpgError ? error.code : "UNEXPECTED";
}
