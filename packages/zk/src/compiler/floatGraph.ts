import type { OnnxConstant, OnnxGraph, OnnxNode } from "../onnx/OnnxGraph.js";
import { ZkError } from "../ZkError.js";
import type { ZkInputKind, ZkWindow } from "./ZkModelSpec.js";

/** ONNX operators the compiler lowers (default domain). */
export const SUPPORTED_OPS = [
  "Gemm",
  "MatMul",
  "Conv",
  "AveragePool",
  "MaxPool",
  "GlobalAveragePool",
  "BatchNormalization",
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Relu",
  "Flatten",
  "Reshape",
  "Transpose",
  "Cast",
  "Identity",
  "Dropout",
  "Constant",
] as const;

/** A float operation on flat row-major vectors (batch 1), before quantization. */
export type FloatOp =
  | {
      kind: "dense";
      node: string;
      in: number;
      out: number;
      k: number;
      n: number;
      w: Float64Array;
      b: Float64Array;
    }
  | (ZkWindow & { kind: "conv"; node: string; in: number; out: number; w: Float64Array; b: Float64Array })
  | (ZkWindow & { kind: "avgPool"; node: string; in: number; out: number })
  | (ZkWindow & { kind: "maxPool"; node: string; in: number; out: number })
  | {
      kind: "affine";
      node: string;
      in: number;
      out: number;
      mul?: Float64Array | undefined;
      add?: Float64Array | undefined;
    }
  | { kind: "relu"; node: string; in: number; out: number }
  | { kind: "add2"; node: string; a: number; b: number; out: number }
  | { kind: "gather"; node: string; in: number; out: number; indices: number[] };

export type FloatGraph = {
  inputName: string;
  inputKind: ZkInputKind;
  inputDims: number[];
  outputName: string;
  outputDims: number[];
  /** Size of every value; 0 is the input. */
  sizes: number[];
  ops: FloatOp[];
  output: number;
};

type Activation = { kind: "value"; id: number; shape: number[] };
type Entry = Activation | { kind: "const"; c: OnnxConstant };

const FLOAT_TYPES = new Set([1, 11]);
const UINT8 = 2;

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function invalid(node: OnnxNode, message: string): ZkError {
  return new ZkError("INVALID_MODEL", `${node.opType} node "${node.name}": ${message}`);
}

function numAttr(node: OnnxNode, name: string, fallback: number): number {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw invalid(node, `attribute ${name} must be a number`);
  return v;
}

function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const v = node.attributes[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw invalid(node, `attribute ${name} must be a list of integers`);
  return v;
}

/** Constant data as float64 values. */
function floats(c: OnnxConstant): Float64Array {
  return c.kind === "float" ? c.data : Float64Array.from(c.data, (v) => Number(v));
}

/** Broadcast a constant (numpy rules) to an activation shape; the activation's shape must win. */
function broadcast(node: OnnxNode, c: OnnxConstant, shape: readonly number[]): Float64Array {
  const data = floats(c);
  const size = product(shape);
  if (data.length === 1) return new Float64Array(size).fill(data[0]!);
  const dims = [...c.dims];
  while (dims.length > shape.length && dims[0] === 1) dims.shift();
  if (dims.length > shape.length)
    throw invalid(node, `constant dims [${c.dims}] do not broadcast to [${shape}]`);
  const full = [...new Array<number>(shape.length - dims.length).fill(1), ...dims];
  full.forEach((d, i) => {
    if (d !== 1 && d !== shape[i])
      throw invalid(node, `constant dims [${c.dims}] do not broadcast to [${shape}]`);
  });
  const out = new Float64Array(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src = src * full[d]! + (full[d] === 1 ? 0 : idx[d]!);
    out[i] = data[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** [C, H, W] of an activation with shape [1, C, H, W] (or [C, H, W]). */
function chw(node: OnnxNode, shape: readonly number[]): [number, number, number] {
  const s = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (s.length !== 3) throw invalid(node, `expects a [1, C, H, W] input; got [${shape.join(", ")}]`);
  return [s[0]!, s[1]!, s[2]!];
}

/** Kernel, strides, pads (explicit or auto_pad) and output size of a 2-D window op. */
function windowOf(
  node: OnnxNode,
  inShape: [number, number, number],
  kernel: [number, number],
  outC: number,
): ZkWindow {
  const [, h, w] = inShape;
  const strides = intsAttr(node, "strides") ?? [1, 1];
  const dil = intsAttr(node, "dilations") ?? [1, 1];
  if (dil.some((d) => d !== 1)) throw invalid(node, "dilations other than 1 are not supported");
  if (strides.length !== 2 || strides.some((s) => s < 1))
    throw invalid(node, "strides must be two positive integers");
  const stride: [number, number] = [strides[0]!, strides[1]!];
  const autoPad = node.attributes["auto_pad"];
  let pads: [number, number, number, number];
  if (autoPad === undefined || autoPad === "NOTSET") {
    const p = intsAttr(node, "pads") ?? [0, 0, 0, 0];
    if (p.length !== 4 || p.some((v) => v < 0))
      throw invalid(node, "pads must be four non-negative integers");
    pads = [p[0]!, p[1]!, p[2]!, p[3]!];
  } else if (autoPad === "VALID") {
    pads = [0, 0, 0, 0];
  } else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const total = [0, 1].map((i) => {
      const size = [h, w][i]!;
      const out = Math.ceil(size / stride[i]!);
      return Math.max(0, (out - 1) * stride[i]! + kernel[i]! - size);
    });
    const lo = total.map((t) => (autoPad === "SAME_UPPER" ? Math.floor(t / 2) : Math.ceil(t / 2)));
    pads = [lo[0]!, lo[1]!, total[0]! - lo[0]!, total[1]! - lo[1]!];
  } else throw invalid(node, `auto_pad ${String(autoPad)} is not supported`);
  if (numAttr(node, "ceil_mode", 0) !== 0) throw invalid(node, "ceil_mode = 1 is not supported");
  const oh = Math.floor((h + pads[0] + pads[2] - kernel[0]) / stride[0]) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - kernel[1]) / stride[1]) + 1;
  if (oh < 1 || ow < 1) throw invalid(node, "the window is larger than the padded input");
  return { inShape, outShape: [outC, oh, ow], kernel, stride, pads };
}

/**
 * Parse an ONNX graph (batch 1) into float operations on flat vectors. Refuses any operator not
 * in SUPPORTED_OPS with UNSUPPORTED_OP naming the op and the node.
 */
export function buildFloatGraph(graph: OnnxGraph): FloatGraph {
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
  if (!FLOAT_TYPES.has(gIn.elemType) && gIn.elemType !== UINT8) {
    throw new ZkError(
      "INVALID_MODEL",
      `Input "${gIn.name}" must be float32, float64 or uint8 (ONNX type ${gIn.elemType}).`,
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

  const sizes: number[] = [product(inDims)];
  const ops: FloatOp[] = [];
  const tensors = new Map<string, Entry>();
  tensors.set(gIn.name, { kind: "value", id: 0, shape: inDims });
  for (const [name, c] of graph.constants) tensors.set(name, { kind: "const", c });

  const newValue = (size: number): number => {
    sizes.push(size);
    return sizes.length - 1;
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
  const emit = (node: OnnxNode, shape: number[], make: (out: number) => FloatOp) => {
    const out = newValue(product(shape));
    ops.push(make(out));
    setOutput(node, { kind: "value", id: out, shape });
  };
  const affine = (node: OnnxNode, x: Activation, mul?: Float64Array, add?: Float64Array) =>
    emit(node, x.shape, (out) => ({ kind: "affine", node: node.name, in: x.id, out, mul, add }));

  for (const node of graph.nodes) {
    switch (node.opType) {
      case "Constant": {
        const v = node.attributes["value"];
        if (typeof v === "object" && !Array.isArray(v)) {
          tensors.set(node.outputs[0] ?? "", { kind: "const", c: { ...v, name: node.outputs[0] ?? v.name } });
        } else throw invalid(node, "only the tensor `value` attribute is supported");
        break;
      }
      case "Identity":
      case "Dropout": // inference mode: identity (its optional mask output is not supported)
        if (node.outputs.length > 1 && node.outputs[1])
          throw invalid(node, "the mask output is not supported");
        setOutput(node, get(node, node.inputs[0]));
        break;
      case "Cast": {
        const x = activation(node, node.inputs[0], "input");
        const to = numAttr(node, "to", 0);
        if (!FLOAT_TYPES.has(to))
          throw invalid(node, `only casts to float32/float64 are supported (to = ${to})`);
        setOutput(node, x);
        break;
      }
      case "Flatten": {
        const x = activation(node, node.inputs[0], "input");
        const axisAttr = numAttr(node, "axis", 1);
        const axis = axisAttr < 0 ? axisAttr + x.shape.length : axisAttr;
        setOutput(node, { ...x, shape: [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))] });
        break;
      }
      case "Reshape": {
        const x = activation(node, node.inputs[0], "data");
        const shapeC = constant(node, node.inputs[1], "shape");
        const target: number[] = [];
        for (const v of shapeC.data) target.push(Number(v));
        const size = sizes[x.id]!;
        const dims = target.map((d, i) => (d === 0 ? (x.shape[i] ?? 1) : d));
        const known = product(dims.filter((d) => d !== -1));
        const shape = dims.map((d) => (d === -1 ? size / known : d));
        if (product(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
          throw invalid(node, `cannot reshape ${size} elements to [${target.join(", ")}]`);
        }
        setOutput(node, { ...x, shape });
        break;
      }
      case "Transpose": {
        const x = activation(node, node.inputs[0], "data");
        const r = x.shape.length;
        const perm = intsAttr(node, "perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
        if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
          throw invalid(node, `perm [${perm}] is not a permutation of ${r} axes`);
        }
        const shape = perm.map((p) => x.shape[p]!);
        const inStrides = x.shape.map((_, d) => product(x.shape.slice(d + 1)));
        const size = product(shape);
        const indices = new Array<number>(size);
        const idx = new Array<number>(r).fill(0);
        for (let i = 0; i < size; i++) {
          let src = 0;
          for (let d = 0; d < r; d++) src += idx[d]! * inStrides[perm[d]!]!;
          indices[i] = src;
          for (let d = r - 1; d >= 0; d--) {
            if (++idx[d]! < shape[d]!) break;
            idx[d] = 0;
          }
        }
        emit(node, shape, (out) => ({ kind: "gather", node: node.name, in: x.id, out, indices }));
        break;
      }
      case "Gemm": {
        const a = activation(node, node.inputs[0], "A");
        const bC = constant(node, node.inputs[1], "B");
        const cName = node.inputs[2];
        const cC = cName ? constant(node, cName, "C") : undefined;
        const alpha = numAttr(node, "alpha", 1);
        const beta = numAttr(node, "beta", 1);
        if (numAttr(node, "transA", 0) !== 0) throw invalid(node, "transA = 1 is not supported");
        const transB = numAttr(node, "transB", 0) !== 0;
        if (a.shape.length !== 2 || a.shape[0] !== 1) {
          throw invalid(node, `A must have shape [1, K] (batch 1); it has [${a.shape.join(", ")}]`);
        }
        const k = a.shape[1]!;
        if (bC.dims.length !== 2) throw invalid(node, "B must be a matrix");
        const [b0, b1] = bC.dims as [number, number];
        const n = transB ? b0 : b1;
        if ((transB ? b1 : b0) !== k) throw invalid(node, `B dims [${b0}, ${b1}] do not match K = ${k}`);
        const bData = floats(bC);
        const w = new Float64Array(n * k);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < k; j++) w[i * k + j] = alpha * (transB ? bData[i * k + j]! : bData[j * n + i]!);
        const b = new Float64Array(n);
        if (cC) {
          const cData = floats(cC);
          if (cData.length !== n && cData.length !== 1)
            throw invalid(node, `C has ${cData.length} elements, expected ${n}`);
          for (let i = 0; i < n; i++) b[i] = beta * cData[cData.length === 1 ? 0 : i]!;
        }
        emit(node, [1, n], (out) => ({ kind: "dense", node: node.name, in: a.id, out, k, n, w, b }));
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
        const w = new Float64Array(n * k);
        for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) w[i * k + j] = bData[j * n + i]!;
        emit(node, [...lead, n], (out) => ({
          kind: "dense",
          node: node.name,
          in: a.id,
          out,
          k,
          n,
          w,
          b: new Float64Array(n),
        }));
        break;
      }
      case "Conv": {
        const x = activation(node, node.inputs[0], "X");
        const wC = constant(node, node.inputs[1], "W");
        const bName = node.inputs[2];
        const bC = bName ? constant(node, bName, "B") : undefined;
        if (numAttr(node, "group", 1) !== 1) throw invalid(node, "groups other than 1 are not supported");
        const inShape = chw(node, x.shape);
        if (wC.dims.length !== 4 || wC.dims[1] !== inShape[0]) {
          throw invalid(node, `W dims [${wC.dims}] do not match ${inShape[0]} input channels (2-D only)`);
        }
        const [oc, , kh, kw] = wC.dims as [number, number, number, number];
        const ks = intsAttr(node, "kernel_shape");
        if (ks && (ks[0] !== kh || ks[1] !== kw)) throw invalid(node, "kernel_shape does not match W");
        const win = windowOf(node, inShape, [kh, kw], oc);
        const b = bC ? floats(bC) : new Float64Array(oc);
        if (b.length !== oc) throw invalid(node, `B has ${b.length} elements, expected ${oc}`);
        emit(node, [1, ...win.outShape], (out) => ({
          kind: "conv",
          node: node.name,
          in: x.id,
          out,
          ...win,
          w: floats(wC),
          b: Float64Array.from(b),
        }));
        break;
      }
      case "AveragePool":
      case "MaxPool": {
        const x = activation(node, node.inputs[0], "X");
        if (node.outputs.length > 1 && node.outputs[1])
          throw invalid(node, "the Indices output is not supported");
        const inShape = chw(node, x.shape);
        const ks = intsAttr(node, "kernel_shape");
        if (ks?.length !== 2) throw invalid(node, "kernel_shape must have two entries (2-D pooling)");
        if ((intsAttr(node, "storage_order") ?? [0])[0])
          throw invalid(node, "storage_order is not supported");
        const win = windowOf(node, inShape, [ks[0]!, ks[1]!], inShape[0]);
        const padded = win.pads.some((p) => p > 0);
        if (node.opType === "AveragePool" && padded && numAttr(node, "count_include_pad", 0) === 0) {
          throw invalid(node, "padding with count_include_pad = 0 is not supported");
        }
        const kind = node.opType === "MaxPool" ? "maxPool" : "avgPool";
        emit(node, [1, ...win.outShape], (out) => ({ kind, node: node.name, in: x.id, out, ...win }));
        break;
      }
      case "GlobalAveragePool": {
        const x = activation(node, node.inputs[0], "X");
        const inShape = chw(node, x.shape);
        const win: ZkWindow = {
          inShape,
          outShape: [inShape[0], 1, 1],
          kernel: [inShape[1], inShape[2]],
          stride: [1, 1],
          pads: [0, 0, 0, 0],
        };
        emit(node, [1, inShape[0], 1, 1], (out) => ({
          kind: "avgPool",
          node: node.name,
          in: x.id,
          out,
          ...win,
        }));
        break;
      }
      case "BatchNormalization": {
        const x = activation(node, node.inputs[0], "X");
        if (node.outputs.length > 1 && node.outputs.slice(1).some((o) => o)) {
          throw invalid(node, "training-mode outputs are not supported");
        }
        const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) =>
          floats(constant(node, node.inputs[i], `input ${i}`)),
        ) as [Float64Array, Float64Array, Float64Array, Float64Array];
        const eps = numAttr(node, "epsilon", 1e-5);
        const c = x.shape.length >= 2 ? x.shape[1]! : 1;
        if ([scale, bias, mean, variance].some((v) => v.length !== c)) {
          throw invalid(node, `parameters must have ${c} entries (one per channel)`);
        }
        const spatial = product(x.shape.slice(2));
        const size = sizes[x.id]!;
        const mul = new Float64Array(size);
        const add = new Float64Array(size);
        for (let i = 0; i < size; i++) {
          const ch = Math.floor(i / spatial) % c;
          const m = scale[ch]! / Math.sqrt(variance[ch]! + eps);
          mul[i] = m;
          add[i] = bias[ch]! - mean[ch]! * m;
        }
        affine(node, x, mul, add);
        break;
      }
      case "Add":
      case "Sub":
      case "Mul":
      case "Div": {
        const e0 = get(node, node.inputs[0]);
        const e1 = get(node, node.inputs[1]);
        if (e0.kind === "value" && e1.kind === "value") {
          if (node.opType !== "Add") {
            throw invalid(node, `${node.opType} of two activations is not supported (only by a constant)`);
          }
          if (sizes[e0.id] !== sizes[e1.id])
            throw invalid(node, "operands must have the same number of elements");
          emit(node, e0.shape, (out) => ({ kind: "add2", node: node.name, a: e0.id, b: e1.id, out }));
          break;
        }
        if (e0.kind === "const" && e1.kind === "const")
          throw invalid(node, "an operation on two constants is not supported");
        const x = (e0.kind === "value" ? e0 : e1) as Activation;
        const c = broadcast(node, (e0.kind === "const" ? e0 : (e1 as { c: OnnxConstant })).c, x.shape);
        const constFirst = e0.kind === "const";
        if (node.opType === "Add") affine(node, x, undefined, c);
        else if (node.opType === "Sub") {
          if (constFirst) affine(node, x, new Float64Array(c.length).fill(-1), c);
          else
            affine(
              node,
              x,
              undefined,
              c.map((v) => -v),
            );
        } else if (node.opType === "Mul") affine(node, x, c, undefined);
        else {
          if (constFirst) throw invalid(node, "division by an activation is not supported");
          if (c.some((v) => v === 0)) throw invalid(node, "division by zero");
          affine(
            node,
            x,
            c.map((v) => 1 / v),
            undefined,
          );
        }
        break;
      }
      case "Relu": {
        const x = activation(node, node.inputs[0], "input");
        emit(node, x.shape, (out) => ({ kind: "relu", node: node.name, in: x.id, out }));
        break;
      }
    }
  }

  const gOut = graph.outputs[0]!;
  const out = tensors.get(gOut.name);
  if (out?.kind !== "value") {
    throw new ZkError("INVALID_MODEL", `Output "${gOut.name}" is not computed from the model input.`);
  }
  const outputDims =
    gOut.dims.length === out.shape.length ? gOut.dims.map((d, i) => d ?? out.shape[i]!) : out.shape;
  const fg: FloatGraph = {
    inputName: gIn.name,
    inputKind: gIn.elemType === UINT8 ? "uint8" : "fixed",
    inputDims: inDims,
    outputName: gOut.name,
    outputDims,
    sizes,
    ops,
    output: out.id,
  };
  fuseAffine(fg);
  return fg;
}

function readers(g: FloatGraph, id: number): FloatOp[] {
  return g.ops.filter((o) => (o.kind === "add2" ? o.a === id || o.b === id : o.in === id));
}

/** mul/add constant within each block of `block` elements: the per-block values, or undefined. */
function perBlock(
  v: Float64Array | undefined,
  block: number,
  fill: number,
  count: number,
): Float64Array | undefined {
  const out = new Float64Array(count).fill(fill);
  if (!v) return out;
  for (let c = 0; c < count; c++) {
    const x = v[c * block]!;
    for (let i = 1; i < block; i++) if (v[c * block + i] !== x) return undefined;
    out[c] = x;
  }
  return out;
}

/**
 * Fold per-element affine maps (BatchNormalization, Mul/Div/Sub/Add by constants) into the
 * neighbouring dense or conv layer when exact in real arithmetic: backward into the single-reader
 * producer (per output channel), forward into the single reader (per input channel; an added
 * constant only where no zero padding would see it).
 */
function fuseAffine(g: FloatGraph): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const op of g.ops) {
      if (op.kind !== "affine") continue;
      const prod = g.ops.find((o) => o.kind !== "add2" && o.out === op.in);
      if (prod && g.output !== op.in && readers(g, op.in).length === 1 && foldBackward(prod, op)) {
        g.ops.splice(g.ops.indexOf(op), 1);
        prod.out = op.out;
        changed = true;
        break;
      }
      const rs = readers(g, op.out);
      if (g.output !== op.out && rs.length === 1 && foldForward(rs[0]!, op)) {
        g.ops.splice(g.ops.indexOf(op), 1);
        (rs[0] as { in: number }).in = op.in;
        changed = true;
        break;
      }
    }
  }
}

function foldBackward(prod: FloatOp, a: Extract<FloatOp, { kind: "affine" }>): boolean {
  if (prod.kind === "dense") {
    for (let i = 0; i < prod.n; i++) {
      const m = a.mul?.[i] ?? 1;
      for (let j = 0; j < prod.k; j++) prod.w[i * prod.k + j]! *= m;
      prod.b[i] = prod.b[i]! * m + (a.add?.[i] ?? 0);
    }
    return true;
  }
  if (prod.kind === "conv") {
    const [oc, oh, ow] = prod.outShape;
    const m = perBlock(a.mul, oh * ow, 1, oc);
    const add = perBlock(a.add, oh * ow, 0, oc);
    if (!m || !add) return false;
    const per = prod.w.length / oc;
    for (let o = 0; o < oc; o++) {
      for (let j = 0; j < per; j++) prod.w[o * per + j]! *= m[o]!;
      prod.b[o] = prod.b[o]! * m[o]! + add[o]!;
    }
    return true;
  }
  return false;
}

function foldForward(next: FloatOp, a: Extract<FloatOp, { kind: "affine" }>): boolean {
  if (next.kind === "dense") {
    for (let i = 0; i < next.n; i++) {
      let extra = 0;
      for (let j = 0; j < next.k; j++) {
        const w = next.w[i * next.k + j]!;
        extra += w * (a.add?.[j] ?? 0);
        next.w[i * next.k + j] = w * (a.mul?.[j] ?? 1);
      }
      next.b[i]! += extra;
    }
    return true;
  }
  if (next.kind === "conv") {
    const [c, h, w] = next.inShape;
    const m = perBlock(a.mul, h * w, 1, c);
    const add = perBlock(a.add, h * w, 0, c);
    if (!m || !add) return false;
    if (add.some((v) => v !== 0) && next.pads.some((p) => p > 0)) return false;
    const [oc, , ,] = next.outShape;
    const k = next.kernel[0] * next.kernel[1];
    for (let o = 0; o < oc; o++) {
      for (let ch = 0; ch < c; ch++) {
        for (let t = 0; t < k; t++) {
          const idx = (o * c + ch) * k + t;
          next.b[o]! += next.w[idx]! * add[ch]!;
          next.w[idx]! *= m[ch]!;
        }
      }
    }
    return true;
  }
  return false;
}
