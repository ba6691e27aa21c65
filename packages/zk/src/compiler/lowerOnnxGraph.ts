import type { OnnxConstant, OnnxGraph, OnnxNode } from "../onnx/OnnxGraph.js";
import { bitLength, quantize } from "../quant/fixedPoint.js";
import { ZkError } from "../ZkError.js";
import type { QuantizationParams, WeightMode, ZkLayer, ZkModelSpec } from "./ZkModelSpec.js";

/** ONNX operators the compiler lowers (default domain). */
export const SUPPORTED_OPS = [
  "Gemm",
  "MatMul",
  "Add",
  "Relu",
  "Flatten",
  "Reshape",
  "Identity",
  "Constant",
] as const;

/** Accumulators must stay this far below the field order (~2^253.6) for exact integer semantics. */
const MAX_ACCUMULATOR_BITS = 250;

type Activation = { kind: "value"; id: number; shape: number[] };
type Entry = Activation | { kind: "const"; c: OnnxConstant };

const FLOAT_TYPES = new Set([1, 11]);

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function invalid(node: OnnxNode, message: string): ZkError {
  return new ZkError("INVALID_MODEL", `${node.opType} node "${node.name}": ${message}`);
}

function maxAbs(values: readonly bigint[]): bigint {
  let m = 0n;
  for (const v of values) {
    const a = v < 0n ? -v : v;
    if (a > m) m = a;
  }
  return m;
}

function floatAttr(node: OnnxNode, name: string, fallback: number): number {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw invalid(node, `attribute ${name} must be a number`);
  return v;
}

/** Constant data as float64 values. */
function floats(c: OnnxConstant): Float64Array {
  return c.kind === "float" ? c.data : Float64Array.from(c.data, (v) => Number(v));
}

/**
 * Lower an ONNX graph (batch 1, vector-valued) to fixed-point layers. Refuses any operator not in
 * SUPPORTED_OPS with UNSUPPORTED_OP naming the op and the node.
 */
export function lowerOnnxGraph(
  graph: OnnxGraph,
  quant: QuantizationParams,
  weightMode: WeightMode,
): ZkModelSpec {
  const { scaleBits, valueBits } = quant;
  for (const node of graph.nodes) {
    const known = (SUPPORTED_OPS as readonly string[]).includes(node.opType);
    if (!known || (node.domain !== "" && node.domain !== "ai.onnx")) {
      throw new ZkError(
        "UNSUPPORTED_OP",
        `Unsupported operator "${node.opType}"${node.domain ? ` (domain ${node.domain})` : ""} in node "${node.name}".`,
        {
          details: `The zk circuit compiler supports ${SUPPORTED_OPS.join(", ")}.`,
          meta: { op: node.opType, node: node.name },
        },
      );
    }
  }
  if (graph.inputs.length !== 1) {
    throw new ZkError(
      "INVALID_MODEL",
      `The model must have exactly one input; it has ${graph.inputs.length}.`,
    );
  }
  if (graph.outputs.length !== 1) {
    throw new ZkError(
      "INVALID_MODEL",
      `The model must have exactly one output; it has ${graph.outputs.length}.`,
    );
  }
  const gIn = graph.inputs[0]!;
  if (!FLOAT_TYPES.has(gIn.elemType)) {
    throw new ZkError(
      "INVALID_MODEL",
      `Input "${gIn.name}" must be float32 or float64 (ONNX type ${gIn.elemType}).`,
    );
  }
  const inDims = gIn.dims.map((d, i) => {
    if (d !== undefined) return d;
    if (i === 0) return 1;
    throw new ZkError(
      "INVALID_MODEL",
      `Input "${gIn.name}" has a symbolic dimension ${i}; only the batch may be symbolic.`,
    );
  });
  if (inDims.length > 1 && inDims[0] !== 1) {
    throw new ZkError(
      "INVALID_MODEL",
      `Input "${gIn.name}" must have batch size 1 (dims ${inDims.join("×")}).`,
    );
  }

  const inputBound = 1n << BigInt(valueBits - 1);
  const values: { size: number; bound: bigint }[] = [{ size: product(inDims), bound: inputBound }];
  const layers: ZkLayer[] = [];
  /** Float constants of addConst layers, kept to re-quantize at scale 2s when folded into a bias. */
  const addFloats = new Map<ZkLayer, number[]>();
  const tensors = new Map<string, Entry>();
  tensors.set(gIn.name, { kind: "value", id: 0, shape: inDims });
  for (const [name, c] of graph.constants) tensors.set(name, { kind: "const", c });

  const newValue = (size: number, bound: bigint): number => {
    values.push({ size, bound });
    return values.length - 1;
  };
  const get = (node: OnnxNode, name: string | undefined): Entry => {
    const e = name ? tensors.get(name) : undefined;
    if (!e) throw invalid(node, `input "${name ?? ""}" is not defined before use`);
    return e;
  };
  const activation = (node: OnnxNode, name: string | undefined, what: string): Activation => {
    const e = get(node, name);
    if (e.kind !== "value")
      throw invalid(node, `${what} must be computed from the model input, not a constant`);
    return e;
  };
  const constant = (node: OnnxNode, name: string | undefined, what: string): OnnxConstant => {
    const e = get(node, name);
    if (e.kind !== "const") throw invalid(node, `${what} must be a constant (initializer)`);
    return e.c;
  };
  const setOutput = (node: OnnxNode, entry: Entry) => {
    const out = node.outputs[0];
    if (!out) throw invalid(node, "has no output");
    tensors.set(out, entry);
  };

  const linear = (
    node: OnnxNode,
    x: Activation,
    w: number[][],
    b: number[] | undefined,
    outShape: number[],
  ) => {
    const outSize = w.length;
    const inSize = values[x.id]!.size;
    const weights: bigint[] = [];
    for (const row of w) for (const v of row) weights.push(quantize(v, scaleBits));
    const bias = Array.from({ length: outSize }, (_, i) => quantize(b?.[i] ?? 0, 2 * scaleBits));
    const output = newValue(outSize, 1n << BigInt(valueBits - 1));
    const layer: ZkLayer = {
      op: "linear",
      node: node.name,
      input: x.id,
      output,
      inSize,
      outSize,
      weights,
      bias,
      relu: false,
    };
    layers.push(layer);
    setOutput(node, { kind: "value", id: output, shape: outShape });
  };

  for (const node of graph.nodes) {
    switch (node.opType) {
      case "Constant": {
        const v = node.attributes["value"];
        if (typeof v === "object" && !Array.isArray(v)) {
          tensors.set(node.outputs[0] ?? "", { kind: "const", c: { ...v, name: node.outputs[0] ?? v.name } });
        } else {
          throw invalid(node, "only the tensor `value` attribute is supported");
        }
        break;
      }
      case "Identity":
        setOutput(node, get(node, node.inputs[0]));
        break;
      case "Flatten": {
        const x = activation(node, node.inputs[0], "input");
        const axisAttr = floatAttr(node, "axis", 1);
        const axis = axisAttr < 0 ? axisAttr + x.shape.length : axisAttr;
        setOutput(node, { ...x, shape: [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))] });
        break;
      }
      case "Reshape": {
        const x = activation(node, node.inputs[0], "data");
        const shapeC = constant(node, node.inputs[1], "shape");
        const target: number[] = [];
        for (const v of shapeC.data) target.push(Number(v));
        const size = values[x.id]!.size;
        const dims = target.map((d, i) => (d === 0 ? (x.shape[i] ?? 1) : d));
        const known = product(dims.filter((d) => d !== -1));
        const shape = dims.map((d) => (d === -1 ? size / known : d));
        if (product(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
          throw invalid(node, `cannot reshape ${size} elements to [${target.join(", ")}]`);
        }
        setOutput(node, { ...x, shape });
        break;
      }
      case "Gemm": {
        const a = activation(node, node.inputs[0], "A");
        const bC = constant(node, node.inputs[1], "B");
        const cName = node.inputs[2];
        const cC = cName ? constant(node, cName, "C") : undefined;
        const alpha = floatAttr(node, "alpha", 1);
        const beta = floatAttr(node, "beta", 1);
        if (floatAttr(node, "transA", 0) !== 0) throw invalid(node, "transA = 1 is not supported");
        const transB = floatAttr(node, "transB", 0) !== 0;
        if (a.shape.length !== 2 || a.shape[0] !== 1) {
          throw invalid(node, `A must have shape [1, K] (batch 1); it has [${a.shape.join(", ")}]`);
        }
        const k = a.shape[1]!;
        if (bC.dims.length !== 2) throw invalid(node, "B must be a matrix");
        const [b0, b1] = bC.dims as [number, number];
        const n = transB ? b0 : b1;
        if ((transB ? b1 : b0) !== k) throw invalid(node, `B dims [${b0}, ${b1}] do not match K = ${k}`);
        const bData = floats(bC);
        const w = Array.from({ length: n }, (_, i) =>
          Array.from({ length: k }, (_, j) => alpha * (transB ? bData[i * k + j]! : bData[j * n + i]!)),
        );
        let bias: number[] | undefined;
        if (cC) {
          const cData = floats(cC);
          if (cData.length !== n && cData.length !== 1)
            throw invalid(node, `C has ${cData.length} elements, expected ${n}`);
          bias = Array.from({ length: n }, (_, i) => beta * cData[cData.length === 1 ? 0 : i]!);
        }
        linear(node, a, w, bias, [1, n]);
        break;
      }
      case "MatMul": {
        const a = activation(node, node.inputs[0], "A");
        const bC = constant(node, node.inputs[1], "B");
        if (bC.dims.length !== 2) throw invalid(node, "B must be a constant matrix");
        const [k, n] = bC.dims as [number, number];
        const lead = a.shape.slice(0, -1);
        if (a.shape[a.shape.length - 1] !== k || product(lead) !== 1) {
          throw invalid(node, `A shape [${a.shape.join(", ")}] does not match B [${k}, ${n}] with batch 1`);
        }
        const bData = floats(bC);
        const w = Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => bData[j * n + i]!));
        linear(node, a, w, undefined, [...lead, n]);
        break;
      }
      case "Add": {
        const e0 = get(node, node.inputs[0]);
        const e1 = get(node, node.inputs[1]);
        if (e0.kind === "value" && e1.kind === "value") {
          const v0 = values[e0.id]!;
          const v1 = values[e1.id]!;
          if (v0.size !== v1.size) throw invalid(node, "operands must have the same number of elements");
          const output = newValue(v0.size, v0.bound + v1.bound);
          layers.push({ op: "add", node: node.name, a: e0.id, b: e1.id, output });
          setOutput(node, { kind: "value", id: output, shape: e0.shape });
          break;
        }
        if (e0.kind === "const" && e1.kind === "const")
          throw invalid(node, "adding two constants is not supported");
        const x = (e0.kind === "value" ? e0 : e1) as Activation;
        const c = (e0.kind === "const" ? e0 : e1) as { kind: "const"; c: OnnxConstant };
        const size = values[x.id]!.size;
        const cData = floats(c.c);
        if (cData.length !== size && cData.length !== 1) {
          throw invalid(node, `constant has ${cData.length} elements, expected ${size} or 1`);
        }
        const cFull = Array.from({ length: size }, (_, i) => cData[cData.length === 1 ? 0 : i]!);
        const constant_ = cFull.map((v) => quantize(v, scaleBits));
        const output = newValue(size, values[x.id]!.bound + maxAbs(constant_));
        const layer: ZkLayer = { op: "addConst", node: node.name, input: x.id, output, constant: constant_ };
        layers.push(layer);
        addFloats.set(layer, cFull);
        setOutput(node, { kind: "value", id: output, shape: x.shape });
        break;
      }
      case "Relu": {
        const x = activation(node, node.inputs[0], "input");
        const bound = values[x.id]!.bound;
        const output = newValue(values[x.id]!.size, bound);
        const layer: ZkLayer = { op: "relu", node: node.name, input: x.id, output, bits: bitLength(bound) };
        layers.push(layer);
        setOutput(node, { kind: "value", id: output, shape: x.shape });
        break;
      }
    }
  }

  const gOut = graph.outputs[0]!;
  const out = tensors.get(gOut.name);
  if (out?.kind !== "value") {
    throw new ZkError("INVALID_MODEL", `Output "${gOut.name}" is not computed from the model input.`);
  }
  const outDims =
    gOut.dims.length === out.shape.length ? gOut.dims.map((d, i) => d ?? out.shape[i]!) : out.shape;
  const spec: ZkModelSpec = {
    scaleBits,
    valueBits,
    weightMode,
    input: { name: gIn.name, dims: inDims, size: values[0]!.size },
    output: { name: gOut.name, dims: outDims, size: values[out.id]!.size },
    values,
    layers,
    outputValue: out.id,
  };
  fuseLayers(spec, addFloats);
  checkBounds(spec);
  return spec;
}

/** Every layer that reads value `id`, plus one for the graph output. */
function consumers(spec: ZkModelSpec, id: number): number {
  let n = spec.outputValue === id ? 1 : 0;
  for (const l of spec.layers) {
    if (l.op === "add") n += (l.a === id ? 1 : 0) + (l.b === id ? 1 : 0);
    else if (l.input === id) n++;
  }
  return n;
}

/** Replace every read of value `from` by value `to`. */
function rename(spec: ZkModelSpec, from: number, to: number): void {
  for (const l of spec.layers) {
    if (l.op === "add") {
      if (l.a === from) l.a = to;
      if (l.b === from) l.b = to;
    } else if (l.input === from) l.input = to;
  }
  if (spec.outputValue === from) spec.outputValue = to;
}

/**
 * Peephole fusion on single-consumer values: linear → addConst folds the constant into the bias
 * (re-quantized at scale 2s), linear → relu becomes one rescale-and-ReLU. Then renumber values.
 */
function fuseLayers(spec: ZkModelSpec, addFloats: Map<ZkLayer, number[]>): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const lin of spec.layers) {
      if (lin.op !== "linear" || lin.relu || consumers(spec, lin.output) !== 1) continue;
      const next = spec.layers.find((l) => l.op !== "add" && l.input === lin.output);
      if (!next) continue;
      if (next.op === "addConst" && lin.bias.every((b) => b === 0n)) {
        lin.bias = addFloats.get(next)!.map((v) => quantize(v, 2 * spec.scaleBits));
      } else if (next.op === "relu") {
        lin.relu = true;
      } else continue;
      spec.layers.splice(spec.layers.indexOf(next), 1);
      rename(spec, next.output, lin.output);
      changed = true;
      break;
    }
  }
  // Renumber the values still in use, in layer order (value 0 stays the input).
  const map = new Map<number, number>([[0, 0]]);
  const values = [spec.values[0]!];
  const id = (old: number) => {
    let n = map.get(old);
    if (n === undefined) {
      n = values.length;
      map.set(old, n);
      values.push(spec.values[old]!);
    }
    return n;
  };
  for (const l of spec.layers) {
    if (l.op === "add") {
      l.a = id(l.a);
      l.b = id(l.b);
    } else l.input = id(l.input);
    l.output = id(l.output);
  }
  spec.outputValue = id(spec.outputValue);
  spec.values = values;
}

/** Compile-time bounds: every accumulator must stay far below the field order. */
function checkBounds(spec: ZkModelSpec): void {
  for (const l of spec.layers) {
    if (l.op !== "linear") continue;
    const inBound = spec.values[l.input]!.bound;
    let accBound = 0n;
    for (let i = 0; i < l.outSize; i++) {
      const b = l.bias[i]!;
      let s = b < 0n ? -b : b;
      for (let j = 0; j < l.inSize; j++) {
        const w = l.weights[i * l.inSize + j]!;
        s += (w < 0n ? -w : w) * inBound;
      }
      if (s > accBound) accBound = s;
    }
    if (bitLength(accBound) > MAX_ACCUMULATOR_BITS) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `Node "${l.node}": accumulator bound 2^${bitLength(accBound)} exceeds 2^${MAX_ACCUMULATOR_BITS}.`,
      );
    }
  }
  for (const v of spec.values) {
    if (bitLength(v.bound) > MAX_ACCUMULATOR_BITS - 2 * spec.scaleBits) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `A value bound 2^${bitLength(v.bound)} is too large for exact arithmetic.`,
      );
    }
  }
}
