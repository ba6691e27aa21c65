import { ValidationError } from "../errors.js";

export type WireErrorCode =
  | "TOO_LARGE"
  | "MALFORMED_CBOR"
  | "BAD_VERSION"
  | "UNKNOWN_KIND"
  | "WRONG_KIND"
  | "BAD_SHAPE"
  | "BAD_FIELD";

/** A gossip message that cannot be decoded. Always REJECT: a correct peer never sends one. */
export class WireError extends ValidationError<WireErrorCode> {
  override name = "WireError";
  constructor(
    code: WireErrorCode,
    shortMessage: string,
    options: { details?: string; cause?: unknown } = {},
  ) {
    super("REJECT", code, shortMessage, options);
  }
}
