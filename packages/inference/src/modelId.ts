import { InferenceError } from "./errors.js";

/**
 * A model's content address: `0x` + sha256 of the ONNX file, lowercase hex (bytes32). Computed by
 * `modelIdFromBytes` / `modelIdFromFile` of `@opg/protocol`.
 */
export type ModelId = `0x${string}`;

const MODEL_ID = /^0x[0-9a-f]{64}$/;

export function isModelId(value: unknown): value is ModelId {
  return typeof value === "string" && MODEL_ID.test(value);
}

/** Lowercases and checks a model id; throws `INVALID_MODEL_ID` otherwise. */
export function parseModelId(value: unknown): ModelId {
  const normalized = typeof value === "string" ? value.toLowerCase() : value;
  if (!isModelId(normalized)) {
    throw new InferenceError(
      "INVALID_MODEL_ID",
      "Model id must be 0x followed by 64 hex digits (sha256 of the file)",
    );
  }
  return normalized;
}
