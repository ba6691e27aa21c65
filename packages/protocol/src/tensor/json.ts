import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { allocTensorData, DTYPES, isDType, type Tensor, type TensorMap } from "./dtype.js";
import { DEFAULT_TENSOR_LIMITS, type TensorLimits } from "./limits.js";
import { TensorError } from "./TensorError.js";

/**
 * JSON form of a tensor for HTTP APIs: `data` is either an array of numbers (64-bit integers as
 * decimal strings, float16 as raw 16-bit patterns) or a base64 string of the little-endian bytes.
 */
export type JsonTensor = {
  dtype: string;
  dims: number[];
  data: (number | string | boolean)[] | string;
};

export type JsonTensorMap = Record<string, JsonTensor>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses untrusted JSON tensors with the same limits as the binary codec; TensorError on any flaw. */
export function tensorsFromJson(value: unknown, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): TensorMap {
  if (!isRecord(value)) throw new TensorError("BAD_NAME", "Tensors must be an object of name → tensor.");
  const names = Object.keys(value);
  if (names.length > limits.maxTensors) {
    throw new TensorError(
      "TOO_MANY_TENSORS",
      `${names.length} tensors, above the limit ${limits.maxTensors}.`,
    );
  }
  const out: TensorMap = Object.create(null);
  let bytes = 0;
  for (const name of names) {
    const t = value[name];
    if (!isRecord(t))
      throw new TensorError("BAD_NAME", `Tensor "${name}" must be an object {dtype, dims, data}.`);
    const { dtype, dims, data } = t;
    if (!isDType(dtype)) {
      throw new TensorError(
        "UNSUPPORTED_DTYPE",
        `Tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}.`,
        {
          details: `Supported: ${Object.keys(DTYPES).join(", ")}.`,
        },
      );
    }
    if (!Array.isArray(dims) || dims.length > limits.maxRank) {
      throw new TensorError(
        "RANK_LIMIT",
        `Tensor "${name}" needs dims as an array of at most ${limits.maxRank} integers.`,
      );
    }
    let elements = 1;
    for (const d of dims) {
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > 0xffffffff) {
        throw new TensorError("BAD_DIM", `Tensor "${name}" has an invalid dimension ${JSON.stringify(d)}.`);
      }
      elements *= d;
      if (elements > limits.maxElements) {
        throw new TensorError(
          "ELEMENT_LIMIT",
          `Tensor "${name}" has more than ${limits.maxElements} elements.`,
        );
      }
    }
    const size = DTYPES[dtype].size;
    bytes += elements * size;
    if (bytes > limits.maxBytes)
      throw new TensorError("BYTE_LIMIT", `Tensors exceed ${limits.maxBytes} bytes.`);
    const array = allocTensorData(dtype, elements);
    if (typeof data === "string") {
      if (!BASE64.test(data)) {
        throw new TensorError("DATA_LENGTH_MISMATCH", `Tensor "${name}" data is not canonical base64.`);
      }
      const raw = base64ToBytes(data);
      if (raw.length !== elements * size) {
        throw new TensorError(
          "DATA_LENGTH_MISMATCH",
          `Tensor "${name}" has ${raw.length} data bytes; dims ${dims.join("x")} of ${dtype} need ${elements * size}.`,
        );
      }
      new Uint8Array(array.buffer).set(raw);
    } else if (Array.isArray(data)) {
      if (data.length !== elements) {
        throw new TensorError(
          "DATA_LENGTH_MISMATCH",
          `Tensor "${name}" has ${data.length} values; dims ${dims.join("x")} need ${elements}.`,
        );
      }
      fill(name, dtype, array, data);
    } else {
      throw new TensorError(
        "DATA_LENGTH_MISMATCH",
        `Tensor "${name}" needs data as an array or a base64 string.`,
      );
    }
    out[name] = { dtype, dims: [...dims] as number[], data: array } as Tensor;
  }
  return out;
}

function fill(name: string, dtype: keyof typeof DTYPES, array: Tensor["data"], data: unknown[]): void {
  const bad = (v: unknown) =>
    new TensorError(
      "DATA_LENGTH_MISMATCH",
      `Tensor "${name}" holds ${JSON.stringify(v)}, not a valid ${dtype}.`,
    );
  if (array instanceof BigInt64Array || array instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== "string" && typeof v !== "number") throw bad(v);
      let n: bigint;
      try {
        n = BigInt(v);
      } catch {
        throw bad(v);
      }
      const min = dtype === "int64" ? -(2n ** 63n) : 0n;
      const max = dtype === "int64" ? 2n ** 63n - 1n : 2n ** 64n - 1n;
      if (n < min || n > max) throw bad(v);
      array[i] = n;
    }
    return;
  }
  const range = INT_RANGES[dtype];
  for (let i = 0; i < data.length; i++) {
    let v = data[i];
    if (dtype === "bool" && typeof v === "boolean") v = v ? 1 : 0;
    if (typeof v !== "number") throw bad(v);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) throw bad(v);
    (array as Float32Array)[i] = v;
  }
}

/** Value ranges of the integer dtypes held in number arrays (float16 as its 16-bit pattern). */
const INT_RANGES: Partial<Record<keyof typeof DTYPES, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  float16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  bool: [0, 1],
};

/** JSON form of tensors; `encoding: "base64"` keeps floats exact and is compact. */
export function tensorsToJson(map: TensorMap, encoding: "array" | "base64" = "array"): JsonTensorMap {
  const out: JsonTensorMap = {};
  for (const [name, t] of Object.entries(map)) {
    const data =
      encoding === "base64"
        ? bytesToBase64(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
        : t.data instanceof BigInt64Array || t.data instanceof BigUint64Array
          ? Array.from(t.data, (v) => v.toString())
          : Array.from(t.data as Float32Array);
    out[name] = { dtype: t.dtype, dims: [...t.dims], data };
  }
  return out;
}
