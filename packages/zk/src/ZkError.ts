import { OpgError } from "@opg/protocol";

/** Bounded error codes of @opg/zk. */
export type ZkErrorCode =
  /** The ONNX graph uses an operator the compiler does not support (message names op and node). */
  | "UNSUPPORTED_OP"
  /** The ONNX file is malformed or has a shape/attribute the compiler cannot lower. */
  | "INVALID_MODEL"
  /** Quantized values or accumulators exceed the circuit's declared ranges. */
  | "QUANTIZATION_OVERFLOW"
  /** Tensors handed to the prover/verifier do not match the model (name, dtype, shape, range). */
  | "INVALID_INPUT"
  /** circom, setup or key export failed. */
  | "BUILD_FAILED"
  /** A required artifact (zkey, wasm, vkey, ceremony file) is missing or inconsistent. */
  | "ARTIFACT_MISSING"
  /** A proof's public signals do not match the model, input or output of the result it rides on. */
  | "BINDING_MISMATCH"
  /** Proof bytes are not a valid encoding. */
  | "INVALID_PROOF_ENCODING"
  /** Witness generation or proving failed. */
  | "PROVE_FAILED"
  /** The prover pool was closed or the request aborted. */
  | "PROVER_CLOSED"
  /** A ceremony announcement, transcript or zkey from the network was refused (see its `reason`). */
  | "CEREMONY_REFUSED"
  /** No source could hand over the ceremony (unreachable, not held, every answer refused). */
  | "CEREMONY_FETCH_FAILED";

/** Every failure of @opg/zk: an OpgError with a bounded `code`. */
export class ZkError extends OpgError<ZkErrorCode> {
  override name = "ZkError";
}
