import { OpgError } from "../errors.js";

export type SignatureErrorCode =
  | "BAD_LENGTH"
  | "BAD_V"
  | "HIGH_S"
  | "BAD_RS"
  | "UNRECOVERABLE"
  | "WRONG_SIGNER";

/** A signature that is malformed, malleable, or from the wrong key. */
export class SignatureError extends OpgError<SignatureErrorCode> {
  override name = "SignatureError";
}
