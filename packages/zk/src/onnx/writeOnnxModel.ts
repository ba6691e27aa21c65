import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** A float32 or int64 initializer. */
export type OnnxInitializer =
  | { name: string; dims: number[]; data: Float32Array }
  | { name: string; dims: number[]; data: BigInt64Array };

export type OnnxNodeDef = {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** INT (integer number), FLOAT (non-integer number: pass `{ f: 1 }` to force a float) or INTS. */
  attributes?: Record<string, number | number[] | { f: number }>;
};

export type OnnxModelDef = {
  /** Graph input: float32 tensor (or `elemType` 2 = uint8); `null` dims are symbolic ("batch"). */
  input: { name: string; dims: (number | null)[]; elemType?: number };
  output: { name: string; dims: (number | null)[] };
  nodes: OnnxNodeDef[];
  initializers: OnnxInitializer[];
  graphName?: string;
  opset?: number;
};

function valueInfo(name: string, dims: (number | null)[], elemType?: number) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: elemType ?? onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            d === null
              ? onnx.TensorShapeProto.Dimension.create({ dimParam: "batch" })
              : onnx.TensorShapeProto.Dimension.create({ dimValue: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, v: number | number[] | { f: number }) {
  const T = onnx.AttributeProto.AttributeType;
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if (typeof v === "object") return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.f });
  if (Number.isInteger(v)) return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
}

/** Serialize a small ONNX model (onnx.ModelProto, IR 8) with raw little-endian initializers. */
export function writeOnnxModel(def: OnnxModelDef): Uint8Array {
  const initializer = def.initializers.map((t) => {
    const isFloat = t.data instanceof Float32Array;
    return onnx.TensorProto.create({
      name: t.name,
      dims: t.dims,
      dataType: isFloat ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)),
    });
  });
  const graph = onnx.GraphProto.create({
    name: def.graphName ?? "model",
    node: def.nodes.map((n) =>
      onnx.NodeProto.create({
        name: n.name,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer,
    input: [valueInfo(def.input.name, def.input.dims, def.input.elemType)],
    output: [valueInfo(def.output.name, def.output.dims)],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "@opg/zk",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: def.opset ?? 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Dense layers of an MLP: weight matrix [out][in] and bias [out], float. */
export type MlpLayer = { weights: number[][]; bias: number[] };

/**
 * An MLP as ONNX: Gemm(transB=1) → Relu → … → Gemm, float32, input [batch, in], output
 * [batch, out] (logits).
 */
export function writeMlpOnnx(
  layers: MlpLayer[],
  names: { input?: string; output?: string } = {},
): Uint8Array {
  const inputName = names.input ?? "input";
  const outputName = names.output ?? "logits";
  const nodes: OnnxNodeDef[] = [];
  const initializers: OnnxInitializer[] = [];
  let prev = inputName;
  layers.forEach((l, k) => {
    const out = l.weights.length;
    const inp = l.weights[0]?.length ?? 0;
    const last = k === layers.length - 1;
    initializers.push(
      { name: `fc${k}.weight`, dims: [out, inp], data: Float32Array.from(l.weights.flat()) },
      { name: `fc${k}.bias`, dims: [out], data: Float32Array.from(l.bias) },
    );
    const gemmOut = last ? outputName : `fc${k}.out`;
    nodes.push({
      opType: "Gemm",
      name: `fc${k}`,
      inputs: [prev, `fc${k}.weight`, `fc${k}.bias`],
      outputs: [gemmOut],
      attributes: { transB: 1 },
    });
    prev = gemmOut;
    if (!last) {
      nodes.push({ opType: "Relu", name: `relu${k}`, inputs: [gemmOut], outputs: [`relu${k}.out`] });
      prev = `relu${k}.out`;
    }
  });
  const outSize = layers[layers.length - 1]?.weights.length ?? 0;
  const inSize = layers[0]?.weights[0]?.length ?? 0;
  return writeOnnxModel({
    input: { name: inputName, dims: [null, inSize] },
    output: { name: outputName, dims: [null, outSize] },
    nodes,
    initializers,
    graphName: "mlp",
  });
}
