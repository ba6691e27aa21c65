import {
  allocTensorData,
  decodeTensors,
  encodeTensors,
  isDType,
  type JsonTensor,
  type Tensor,
  TensorError,
  type TensorMap,
  tensorsFromJson,
} from "@opg/protocol";
import { bytesToHex, type Hex, hexToBytes, isHex, keccak256 } from "viem";
import { OpgSdkError } from "../errors/OpgSdkError.js";

/**
 * Tensors as the SDK accepts them: typed tensors (`{dtype, dims, data: Float32Array…}`), their JSON form
 * (`{dtype, dims, data: number[] | base64}`, as the HTTP APIs use), or a mix of both per name.
 */
export type TensorInput = Record<string, Tensor | JsonTensor>;

/** Tensors in canonical encoding with their hash. */
export type EncodedTensors = {
  tensors: TensorMap;
  /** Canonical encoding (docs/protocol.md). */
  bytes: Uint8Array;
  /** The same bytes as hex (what contracts take). */
  hex: Hex;
  /** keccak256 of the canonical encoding (`inputHash` / `outputHash`). */
  hash: Hex;
};

/** Typed tensors from a {@link TensorInput}; `INVALID_ARGUMENT` on any flaw (the error's cause says which). */
export function toTensorMap(input: TensorInput): TensorMap {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new OpgSdkError("INVALID_ARGUMENT", "Tensors must be an object of name → tensor.");
  }
  const out: TensorMap = Object.create(null);
  for (const [name, tensor] of Object.entries(input)) {
    if (typeof tensor !== "object" || tensor === null) {
      throw new OpgSdkError("INVALID_ARGUMENT", `Tensor "${name}" must be an object {dtype, dims, data}.`);
    }
    if (ArrayBuffer.isView(tensor.data)) {
      const t = tensor as Tensor;
      if (!isDType(t.dtype) || allocTensorData(t.dtype, 0).constructor !== t.data.constructor) {
        throw new OpgSdkError(
          "INVALID_ARGUMENT",
          `Tensor "${name}" holds a ${t.data.constructor.name}, which is not the array type of dtype ${String(t.dtype)}.`,
        );
      }
      out[name] = { dtype: t.dtype, dims: [...t.dims], data: t.data } as Tensor;
    } else {
      out[name] = wrapTensorError(() => tensorsFromJson({ [name]: tensor }))[name]!;
    }
  }
  return out;
}

/** Validates and encodes tensors canonically; `INVALID_ARGUMENT` when they break a rule or a limit. */
export function encodeTensorInput(input: TensorInput): EncodedTensors {
  const tensors = toTensorMap(input);
  const bytes = wrapTensorError(() => encodeTensors(tensors));
  return { tensors, bytes, hex: bytesToHex(bytes), hash: keccak256(bytes) };
}

/**
 * Decodes a canonical encoding (hex or bytes) into typed tensors; strict (trailing bytes, unsorted names…
 * are errors). Throws the protocol's `TensorError`.
 */
export function decodeTensorBytes(encoded: Hex | Uint8Array): TensorMap {
  if (typeof encoded === "string" && !isHex(encoded, { strict: true })) {
    throw new TensorError("TRUNCATED", "Encoded tensors must be 0x-prefixed hex.");
  }
  return decodeTensors(typeof encoded === "string" ? hexToBytes(encoded) : encoded);
}

function wrapTensorError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TensorError) {
      throw new OpgSdkError("INVALID_ARGUMENT", error.shortMessage, {
        cause: error,
        details: error.details,
        meta: { tensorCode: error.code },
      });
    }
    throw error;
  }
}
