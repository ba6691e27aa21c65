import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";
import { ZkError } from "../ZkError.js";
import type { OnnxAttribute, OnnxConstant, OnnxGraph, OnnxNode, OnnxValueInfo } from "./OnnxGraph.js";

const { onnx } = onnxProto;

type LongLike = number | { toString(): string };

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;

function toInt(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : Number(v.toString());
}

function toBigInt(v: LongLike): bigint {
  return typeof v === "number" ? BigInt(v) : BigInt(v.toString());
}

function decodeTensor(t: OnnxTypes.ITensorProto, fallbackName: string): OnnxConstant {
  const name = t.name || fallbackName;
  const dims = (t.dims ?? []).map(toInt);
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new ZkError("INVALID_MODEL", `Tensor "${name}" uses external data, which is not supported.`);
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const need = (size: number) => {
    if (raw && raw.length !== count * size) {
      throw new ZkError(
        "INVALID_MODEL",
        `Tensor "${name}" has ${raw.length} raw bytes for ${count} elements.`,
      );
    }
  };
  switch (t.dataType) {
    case FLOAT:
    case DOUBLE: {
      const size = t.dataType === FLOAT ? 4 : 8;
      const data = new Float64Array(count);
      if (view) {
        need(size);
        for (let i = 0; i < count; i++) {
          data[i] = size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
        }
      } else {
        const src = (t.dataType === FLOAT ? t.floatData : t.doubleData) ?? [];
        if (src.length !== count) {
          throw new ZkError(
            "INVALID_MODEL",
            `Tensor "${name}" has ${src.length} values for ${count} elements.`,
          );
        }
        // float_data holds float32 values: round through Float32 so raw and typed storage agree.
        for (let i = 0; i < count; i++) data[i] = size === 4 ? Math.fround(src[i]!) : src[i]!;
      }
      return { name, kind: "float", dims, data };
    }
    case INT32:
    case INT64: {
      const size = t.dataType === INT32 ? 4 : 8;
      const data = new BigInt64Array(count);
      if (view) {
        need(size);
        for (let i = 0; i < count; i++) {
          data[i] = size === 4 ? BigInt(view.getInt32(i * 4, true)) : view.getBigInt64(i * 8, true);
        }
      } else {
        const src: LongLike[] = (t.dataType === INT32 ? t.int32Data : t.int64Data) ?? [];
        if (src.length !== count) {
          throw new ZkError(
            "INVALID_MODEL",
            `Tensor "${name}" has ${src.length} values for ${count} elements.`,
          );
        }
        for (let i = 0; i < count; i++) data[i] = toBigInt(src[i]!);
      }
      return { name, kind: "int", dims, data };
    }
    default:
      throw new ZkError(
        "INVALID_MODEL",
        `Tensor "${name}" has ONNX data type ${t.dataType}; only float, double, int32 and int64 constants are supported.`,
      );
  }
}

function decodeAttribute(a: OnnxTypes.IAttributeProto, nodeName: string): OnnxAttribute {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return toInt(a.i);
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.INTS:
      return (a.ints ?? []).map(toInt);
    case T.TENSOR:
      return a.t ? decodeTensor(a.t, `${nodeName}.${a.name}`) : undefined;
    default:
      // Graph/sparse/type attributes: kept as undefined; ops that need them are unsupported anyway.
      return undefined;
  }
}

function valueInfo(v: OnnxTypes.IValueInfoProto): OnnxValueInfo {
  const tensor = v.type?.tensorType;
  const dims = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? toInt(d.dimValue) : undefined,
  );
  return { name: v.name ?? "", elemType: tensor?.elemType ?? 0, dims };
}

/** Decode ONNX file bytes (`onnx.ModelProto`) into the graph the circuit compiler lowers. */
export function parseOnnxModel(bytes: Uint8Array): OnnxGraph {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ZkError("INVALID_MODEL", "The file is not a valid ONNX model.", { cause });
  }
  const graph = model.graph;
  if (!graph) throw new ZkError("INVALID_MODEL", "The ONNX model has no graph.");

  const constants = new Map<string, OnnxConstant>();
  for (const init of graph.initializer ?? []) {
    const c = decodeTensor(init, init.name ?? "");
    constants.set(c.name, c);
  }
  const nodes: OnnxNode[] = (graph.node ?? []).map((n, index) => {
    const name = n.name || `${n.opType ?? "node"}#${index}`;
    const attributes: Record<string, OnnxAttribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name ?? ""] = decodeAttribute(a, name);
    return {
      name,
      opType: n.opType ?? "",
      domain: n.domain ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes,
    };
  });
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain);
  return {
    inputs: (graph.input ?? []).filter((i) => !constants.has(i.name ?? "")).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    constants,
    nodes,
    opsetVersion: defaultOpset ? toInt(defaultOpset.version) : undefined,
  };
}
