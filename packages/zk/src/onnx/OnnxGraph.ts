/** A constant tensor of an ONNX graph (initializer or Constant node), values widened to float64/int64. */
export type OnnxConstant =
  | { name: string; kind: "float"; dims: number[]; data: Float64Array }
  | { name: string; kind: "int"; dims: number[]; data: BigInt64Array };

/** One graph node with its attributes decoded to plain values. */
export type OnnxNode = {
  /** Node name, or `<opType>#<index>` when the file leaves it empty. */
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
};

export type OnnxAttribute = number | string | number[] | OnnxConstant | undefined;

/** A graph input/output: element type (ONNX TensorProto code) and dims (undefined = symbolic). */
export type OnnxValueInfo = {
  name: string;
  elemType: number;
  dims: (number | undefined)[];
};

/** The parts of an ONNX model that the circuit compiler reads. */
export type OnnxGraph = {
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  constants: Map<string, OnnxConstant>;
  /** Nodes in the file's (topological) order. */
  nodes: OnnxNode[];
  opsetVersion: number | undefined;
};
