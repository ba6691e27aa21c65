import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType codes (same as the protocol's dtype codes). */
export const ELEM = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
} as const;

type Dim = number | string;

function valueInfo(name: string, elemType: number, shape: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) =>
            typeof d === "number"
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

type Io = { name: string; elemType: number; shape: readonly Dim[] };

export function buildModel(options: {
  nodes: { op: string; inputs: string[]; outputs: string[]; attributes?: onnxProto.onnx.IAttributeProto[] }[];
  inputs: Io[];
  outputs: Io[];
  initializers?: { name: string; dims: number[]; floats: number[] }[];
  opset?: number;
}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "opg-test",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: options.opset ?? 17 })],
    graph: onnx.GraphProto.create({
      name: "test",
      node: options.nodes.map((n) =>
        onnx.NodeProto.create({
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: n.attributes ?? [],
        }),
      ),
      input: options.inputs.map((io) => valueInfo(io.name, io.elemType, io.shape)),
      output: options.outputs.map((io) => valueInfo(io.name, io.elemType, io.shape)),
      initializer: (options.initializers ?? []).map((init) =>
        onnx.TensorProto.create({
          name: init.name,
          dims: init.dims,
          dataType: ELEM.float32,
          floatData: init.floats,
        }),
      ),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** C = A + B, float32 [N, 3] each: a dynamic batch dim. */
export function addModel(): Uint8Array {
  return buildModel({
    nodes: [{ op: "Add", inputs: ["A", "B"], outputs: ["C"] }],
    inputs: [
      { name: "A", elemType: ELEM.float32, shape: ["N", 3] },
      { name: "B", elemType: ELEM.float32, shape: ["N", 3] },
    ],
    outputs: [{ name: "C", elemType: ELEM.float32, shape: ["N", 3] }],
  });
}

/** Y = X · W with X float32 [batch, 4] and a fixed W [4, 2]. */
export function matmulModel(): Uint8Array {
  return buildModel({
    nodes: [{ op: "MatMul", inputs: ["X", "W"], outputs: ["Y"] }],
    inputs: [{ name: "X", elemType: ELEM.float32, shape: ["batch", 4] }],
    outputs: [{ name: "Y", elemType: ELEM.float32, shape: ["batch", 2] }],
    initializers: [{ name: "W", dims: [4, 2], floats: [0.5, -1, 2, 0.25, -0.125, 3, 1.5, -2] }],
  });
}

/** Y = Identity(X) for any element type and shape. */
export function identityModel(elemType: number, shape: readonly Dim[]): Uint8Array {
  return buildModel({
    nodes: [{ op: "Identity", inputs: ["X"], outputs: ["Y"] }],
    inputs: [{ name: "X", elemType, shape }],
    outputs: [{ name: "Y", elemType, shape }],
  });
}

/** Y = Transpose(X), [N, M] → [M, N]: symbolic dim 0 everywhere, but the output's is not the batch. */
export function transposeModel(): Uint8Array {
  return buildModel({
    nodes: [{ op: "Transpose", inputs: ["X"], outputs: ["Y"] }],
    inputs: [{ name: "X", elemType: ELEM.float32, shape: ["N", "M"] }],
    outputs: [{ name: "Y", elemType: ELEM.float32, shape: ["M", "N"] }],
  });
}

/** Mixed types: ids int64 [N], mask bool [N], x float16 [N] → all passed through. */
export function mixedModel(): Uint8Array {
  return buildModel({
    nodes: [
      { op: "Identity", inputs: ["ids"], outputs: ["ids_out"] },
      { op: "Not", inputs: ["mask"], outputs: ["mask_out"] },
      { op: "Identity", inputs: ["half"], outputs: ["half_out"] },
    ],
    inputs: [
      { name: "ids", elemType: ELEM.int64, shape: ["N"] },
      { name: "mask", elemType: ELEM.bool, shape: ["N"] },
      { name: "half", elemType: ELEM.float16, shape: ["N"] },
    ],
    outputs: [
      { name: "ids_out", elemType: ELEM.int64, shape: ["N"] },
      { name: "mask_out", elemType: ELEM.bool, shape: ["N"] },
      { name: "half_out", elemType: ELEM.float16, shape: ["N"] },
    ],
  });
}

/** Y = X · W with X float32 [N, K], K symbolic but only 4 works (W is [4, 2]). */
export function symbolicKModel(): Uint8Array {
  return buildModel({
    nodes: [{ op: "MatMul", inputs: ["X", "W"], outputs: ["Y"] }],
    inputs: [{ name: "X", elemType: ELEM.float32, shape: ["N", "K"] }],
    outputs: [{ name: "Y", elemType: ELEM.float32, shape: ["N", 2] }],
    initializers: [{ name: "W", dims: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8] }],
  });
}
