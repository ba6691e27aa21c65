import type { DType, Tensor, TensorMap } from "@opg/protocol";
import * as ort from "onnxruntime-node";
import { InferenceError } from "./errors.js";

const ORT_TYPES: Readonly<Record<string, DType>> = {
  float32: "float32",
  uint8: "uint8",
  int8: "int8",
  uint16: "uint16",
  int16: "int16",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  float16: "float16",
  float64: "float64",
  uint32: "uint32",
  uint64: "uint64",
};

/** The protocol dtype of an onnxruntime type name (`undefined` for string, int4…). */
export function dtypeFromOrt(type: string): DType | undefined {
  return Object.hasOwn(ORT_TYPES, type) ? ORT_TYPES[type] : undefined;
}

/**
 * A protocol tensor as an `ort.Tensor`, sharing its memory. int64 stays a BigInt64Array, bool a
 * Uint8Array of 0/1, float16 the raw Uint16Array bits.
 */
export function toOrtTensor(tensor: Tensor): ort.Tensor {
  if (tensor.dtype === "float16") {
    // Where Float16Array exists (Node 24), onnxruntime-common wraps Uint16Array data in one, which
    // the native binding (N-API) cannot read. A uint16 tensor re-labelled float16 passes the same bits.
    const bits = new ort.Tensor("uint16", tensor.data, tensor.dims);
    Object.defineProperty(bits, "type", { value: "float16" });
    return bits;
  }
  return new ort.Tensor(tensor.dtype, tensor.data, tensor.dims);
}

/** An `ort.Tensor` as a protocol tensor (float16 reinterpreted as Uint16Array bits). */
export function fromOrtTensor(value: ort.Tensor, name = "output"): Tensor {
  const dtype = dtypeFromOrt(value.type);
  if (dtype === undefined) {
    throw new InferenceError("OUTPUT_UNSUPPORTED", `Output "${name}" has unsupported type ${value.type}`);
  }
  const dims = value.dims.map(Number);
  const data = value.data as ArrayBufferView & { length: number };
  switch (dtype) {
    case "float16":
      return {
        dtype,
        dims,
        data: data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length),
      };
    case "bool":
      return {
        dtype,
        dims,
        data:
          data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    default:
      return { dtype, dims, data } as unknown as Tensor;
  }
}

export function toOrtFeeds(inputs: TensorMap): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) feeds[name] = toOrtTensor(tensor);
  return feeds;
}

export function fromOrtResults(results: Readonly<Record<string, ort.OnnxValue>>): TensorMap {
  const outputs: TensorMap = {};
  for (const [name, value] of Object.entries(results)) {
    if (!(value instanceof ort.Tensor)) {
      throw new InferenceError("OUTPUT_UNSUPPORTED", `Output "${name}" is not a tensor`);
    }
    outputs[name] = fromOrtTensor(value, name);
  }
  return outputs;
}
