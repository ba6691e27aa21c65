import { OpgError } from "../errors.js";

export type TensorErrorCode =
  | "UNSUPPORTED_DTYPE"
  | "BAD_NAME"
  | "DUPLICATE_NAME"
  | "UNSORTED_NAMES"
  | "TOO_MANY_TENSORS"
  | "RANK_LIMIT"
  | "BAD_DIM"
  | "ELEMENT_LIMIT"
  | "BYTE_LIMIT"
  | "DATA_LENGTH_MISMATCH"
  | "BAD_BOOL"
  | "BAD_VERSION"
  | "TRUNCATED"
  | "TRAILING_BYTES";

/** A tensor that breaks the encoding rules or a limit. */
export class TensorError extends OpgError<TensorErrorCode> {
  override name = "TensorError";
}
