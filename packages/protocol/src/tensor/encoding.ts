import { allocTensorData, DTYPES, type DType, dtypeFromCode, type Tensor, type TensorMap } from "./dtype.js";
import { DEFAULT_TENSOR_LIMITS, type TensorLimits } from "./limits.js";
import { TensorError } from "./TensorError.js";

/**
 * Canonical byte encoding of a tensor map (docs/protocol.md): version byte, u16 count, then per
 * tensor sorted by UTF-8 name: u16 name length, name, u8 dtype code, u8 rank, u32 dims,
 * little-endian data. `inputHash`/`outputHash` are keccak256 of these bytes.
 */
export const TENSOR_ENCODING_VERSION = 1;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

type Prepared = { name: string; nameBytes: Uint8Array; tensor: Tensor; elements: number; dataBytes: number };

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function countElements(name: string, dims: readonly number[], limits: TensorLimits): number {
  if (dims.length > limits.maxRank) {
    throw new TensorError(
      "RANK_LIMIT",
      `Tensor "${name}" has rank ${dims.length}, above the limit ${limits.maxRank}.`,
    );
  }
  let elements = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0 || dim > 0xffffffff) {
      throw new TensorError("BAD_DIM", `Tensor "${name}" has an invalid dimension ${String(dim)}.`, {
        details: "Dimensions are integers from 0 to 2^32-1.",
      });
    }
    elements *= dim;
    if (elements > limits.maxElements) {
      throw new TensorError(
        "ELEMENT_LIMIT",
        `Tensor "${name}" has more than ${limits.maxElements} elements (dims ${dims.join("x")}).`,
      );
    }
  }
  return elements;
}

function prepare(name: string, tensor: Tensor, limits: TensorLimits): Prepared {
  const nameBytes = utf8.encode(name);
  if (nameBytes.length === 0 || nameBytes.length > limits.maxNameBytes) {
    throw new TensorError("BAD_NAME", `Tensor name must be 1 to ${limits.maxNameBytes} UTF-8 bytes.`, {
      details: `Got ${nameBytes.length} bytes.`,
    });
  }
  const spec = (DTYPES as Record<string, { code: number; size: number } | undefined>)[tensor.dtype];
  if (!spec) {
    throw new TensorError(
      "UNSUPPORTED_DTYPE",
      `Tensor "${name}" has unsupported dtype ${String(tensor.dtype)}.`,
      {
        details: `Supported: ${Object.keys(DTYPES).join(", ")}.`,
      },
    );
  }
  const elements = countElements(name, tensor.dims, limits);
  const data = tensor.data;
  if (data.length !== elements || data.BYTES_PER_ELEMENT !== spec.size) {
    throw new TensorError(
      "DATA_LENGTH_MISMATCH",
      `Tensor "${name}" holds ${data.length} ${data.constructor.name} elements; dims ${tensor.dims.join("x") || "()"} of ${tensor.dtype} need ${elements}.`,
    );
  }
  if (tensor.dtype === "bool") {
    for (const v of tensor.data) {
      if (v > 1) throw new TensorError("BAD_BOOL", `Tensor "${name}" is bool but holds the value ${v}.`);
    }
  }
  return { name, nameBytes, tensor, elements, dataBytes: elements * spec.size };
}

function writeData(out: Uint8Array, view: DataView, offset: number, tensor: Tensor): void {
  const src = tensor.data;
  if (LITTLE_ENDIAN || src.BYTES_PER_ELEMENT === 1) {
    out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), offset);
    return;
  }
  // Big-endian hosts: write element by element.
  const size = src.BYTES_PER_ELEMENT;
  for (let i = 0; i < src.length; i++) {
    const o = offset + i * size;
    const v = src[i]!;
    switch (tensor.dtype) {
      case "float32":
        view.setFloat32(o, v as number, true);
        break;
      case "float64":
        view.setFloat64(o, v as number, true);
        break;
      case "int16":
        view.setInt16(o, v as number, true);
        break;
      case "uint16":
      case "float16":
        view.setUint16(o, v as number, true);
        break;
      case "int32":
        view.setInt32(o, v as number, true);
        break;
      case "uint32":
        view.setUint32(o, v as number, true);
        break;
      case "int64":
        view.setBigInt64(o, v as bigint, true);
        break;
      case "uint64":
        view.setBigUint64(o, v as bigint, true);
        break;
      default:
        throw new TensorError("UNSUPPORTED_DTYPE", `Cannot write dtype ${tensor.dtype}.`);
    }
  }
}

/** Encodes named tensors canonically. Throws TensorError on any rule or limit broken. */
export function encodeTensors(tensors: TensorMap, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): Uint8Array {
  const names = Object.keys(tensors);
  if (names.length > limits.maxTensors || names.length > 0xffff) {
    throw new TensorError(
      "TOO_MANY_TENSORS",
      `${names.length} tensors, above the limit ${limits.maxTensors}.`,
    );
  }
  const prepared = names.map((name) => prepare(name, tensors[name]!, limits));
  prepared.sort((a, b) => compareBytes(a.nameBytes, b.nameBytes));

  let total = 3;
  for (const p of prepared) total += 2 + p.nameBytes.length + 2 + 4 * p.tensor.dims.length + p.dataBytes;
  if (total > limits.maxBytes) {
    throw new TensorError(
      "BYTE_LIMIT",
      `Encoded tensors take ${total} bytes, above the limit ${limits.maxBytes}.`,
    );
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint8(o, TENSOR_ENCODING_VERSION);
  view.setUint16(o + 1, prepared.length, true);
  o += 3;
  for (const p of prepared) {
    view.setUint16(o, p.nameBytes.length, true);
    out.set(p.nameBytes, o + 2);
    o += 2 + p.nameBytes.length;
    view.setUint8(o, DTYPES[p.tensor.dtype].code);
    view.setUint8(o + 1, p.tensor.dims.length);
    o += 2;
    for (const dim of p.tensor.dims) {
      view.setUint32(o, dim, true);
      o += 4;
    }
    writeData(out, view, o, p.tensor);
    o += p.dataBytes;
  }
  return out;
}

class Reader {
  offset = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) {
      throw new TensorError("TRUNCATED", `Tensor encoding ends inside ${what}.`, {
        details: `Needed ${n} bytes at offset ${this.offset}, ${this.bytes.length - this.offset} left.`,
      });
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

function readData(dtype: DType, elements: number, raw: Uint8Array): Tensor["data"] {
  const data = allocTensorData(dtype, elements);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) {
    new Uint8Array(data.buffer).set(raw);
    return data;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < elements; i++) {
    const o = i * size;
    switch (dtype) {
      case "float32":
        (data as Float32Array)[i] = view.getFloat32(o, true);
        break;
      case "float64":
        (data as Float64Array)[i] = view.getFloat64(o, true);
        break;
      case "int16":
        (data as Int16Array)[i] = view.getInt16(o, true);
        break;
      case "uint16":
      case "float16":
        (data as Uint16Array)[i] = view.getUint16(o, true);
        break;
      case "int32":
        (data as Int32Array)[i] = view.getInt32(o, true);
        break;
      case "uint32":
        (data as Uint32Array)[i] = view.getUint32(o, true);
        break;
      case "int64":
        (data as BigInt64Array)[i] = view.getBigInt64(o, true);
        break;
      case "uint64":
        (data as BigUint64Array)[i] = view.getBigUint64(o, true);
        break;
      default:
        break;
    }
  }
  return data;
}

/**
 * Decodes a canonical tensor encoding. Strict: any deviation from what `encodeTensors` would
 * produce (unsorted or duplicate names, bad UTF-8, bool bytes other than 0/1, trailing bytes)
 * throws a TensorError; nothing else is ever thrown.
 */
export function decodeTensors(bytes: Uint8Array, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): TensorMap {
  if (bytes.length > limits.maxBytes) {
    throw new TensorError(
      "BYTE_LIMIT",
      `Tensor encoding of ${bytes.length} bytes is above the limit ${limits.maxBytes}.`,
    );
  }
  const r = new Reader(bytes);
  const version = r.u8("the version");
  if (version !== TENSOR_ENCODING_VERSION) {
    throw new TensorError("BAD_VERSION", `Unknown tensor encoding version ${version}.`);
  }
  const count = r.u16("the tensor count");
  if (count > limits.maxTensors) {
    throw new TensorError("TOO_MANY_TENSORS", `${count} tensors, above the limit ${limits.maxTensors}.`);
  }
  const out: TensorMap = Object.create(null);
  let previous: Uint8Array | undefined;
  for (let t = 0; t < count; t++) {
    const nameLength = r.u16("a name length");
    if (nameLength === 0 || nameLength > limits.maxNameBytes) {
      throw new TensorError("BAD_NAME", `Tensor name must be 1 to ${limits.maxNameBytes} UTF-8 bytes.`);
    }
    const nameBytes = r.take(nameLength, "a name");
    let name: string;
    try {
      name = utf8Strict.decode(nameBytes);
    } catch (cause) {
      throw new TensorError("BAD_NAME", "Tensor name is not valid UTF-8.", { cause });
    }
    if (previous) {
      const order = compareBytes(previous, nameBytes);
      if (order === 0) throw new TensorError("DUPLICATE_NAME", `Tensor name "${name}" appears twice.`);
      if (order > 0) throw new TensorError("UNSORTED_NAMES", `Tensor "${name}" is out of canonical order.`);
    }
    previous = nameBytes;
    const code = r.u8("a dtype");
    const dtype = dtypeFromCode(code);
    if (!dtype)
      throw new TensorError("UNSUPPORTED_DTYPE", `Tensor "${name}" has unknown dtype code ${code}.`);
    const rank = r.u8("a rank");
    if (rank > limits.maxRank) {
      throw new TensorError(
        "RANK_LIMIT",
        `Tensor "${name}" has rank ${rank}, above the limit ${limits.maxRank}.`,
      );
    }
    const dims: number[] = [];
    for (let d = 0; d < rank; d++) dims.push(r.u32("a dimension"));
    const elements = countElements(name, dims, limits);
    const raw = r.take(elements * DTYPES[dtype].size, `the data of "${name}"`);
    if (dtype === "bool") {
      for (const v of raw) {
        if (v > 1) throw new TensorError("BAD_BOOL", `Tensor "${name}" is bool but holds the value ${v}.`);
      }
    }
    out[name] = { dtype, dims, data: readData(dtype, elements, raw) } as Tensor;
  }
  if (r.offset !== bytes.length) {
    throw new TensorError("TRAILING_BYTES", `${bytes.length - r.offset} bytes follow the last tensor.`);
  }
  return out;
}
