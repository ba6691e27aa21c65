import { OpgError, type OpgErrorOptions, RetryableError } from "@opg/protocol";

/** Why inputs were refused before reaching the runtime. */
export type InputErrorCode =
  | "UNKNOWN_INPUT"
  | "MISSING_INPUT"
  | "TOO_MANY_INPUTS"
  | "DTYPE_MISMATCH"
  | "UNSUPPORTED_DTYPE"
  | "RANK_MISMATCH"
  | "DIM_MISMATCH"
  | "TOO_MANY_ELEMENTS"
  | "DATA_LENGTH_MISMATCH"
  | "INVALID_TENSOR";

/** Inputs that do not fit the model: the caller's fault, never retryable. */
export class InputValidationError extends OpgError<InputErrorCode> {
  override name = "InputValidationError";
  /** The offending input name, when there is one. */
  readonly input: string | undefined;

  constructor(
    code: InputErrorCode,
    shortMessage: string,
    options: OpgErrorOptions & { input?: string } = {},
  ) {
    super(code, shortMessage, options);
    this.input = options.input;
  }
}

export type InferenceErrorCode =
  | "INVALID_MODEL_ID"
  | "MODEL_NOT_FOUND"
  | "MODEL_ID_MISMATCH"
  | "MODEL_INVALID"
  | "MODEL_TOO_LARGE"
  | "STORE_INVALID"
  | "SESSION_FAILED"
  | "WARMUP_FAILED"
  | "RUN_FAILED"
  | "OUTPUT_UNSUPPORTED"
  | "ABORTED"
  | "NOT_RUNNING";

/** A non-retryable failure of the engine or the model store. */
export class InferenceError extends OpgError<InferenceErrorCode> {
  override name = "InferenceError";
}

export type InferenceRetryableCode = "BUSY" | "TIMEOUT" | "SHUTTING_DOWN";

/** A transient refusal: the queue is full, the request ran out of time, or the engine is stopping. */
export class InferenceRetryableError extends RetryableError<InferenceRetryableCode> {
  override name = "InferenceRetryableError";
}

/** HTTP statuses for every code above, for `HttpServer.mapErrorCodes` in the daemons. */
export const inferenceErrorStatus: Readonly<
  Record<InputErrorCode | InferenceErrorCode | InferenceRetryableCode, number>
> = {
  UNKNOWN_INPUT: 400,
  MISSING_INPUT: 400,
  TOO_MANY_INPUTS: 400,
  DTYPE_MISMATCH: 400,
  UNSUPPORTED_DTYPE: 400,
  RANK_MISMATCH: 400,
  DIM_MISMATCH: 400,
  TOO_MANY_ELEMENTS: 413,
  DATA_LENGTH_MISMATCH: 400,
  INVALID_TENSOR: 400,
  INVALID_MODEL_ID: 400,
  MODEL_NOT_FOUND: 404,
  MODEL_ID_MISMATCH: 500,
  MODEL_INVALID: 422,
  MODEL_TOO_LARGE: 507,
  STORE_INVALID: 500,
  SESSION_FAILED: 500,
  WARMUP_FAILED: 500,
  RUN_FAILED: 500,
  OUTPUT_UNSUPPORTED: 500,
  ABORTED: 499,
  NOT_RUNNING: 503,
  BUSY: 503,
  TIMEOUT: 504,
  SHUTTING_DOWN: 503,
};
