import type { OnnxGraph } from "../onnx/OnnxGraph.js";
import { bitLength, quantize } from "../quant/fixedPoint.js";
import { windowTaps } from "../quant/windowTaps.js";
import { ZkError } from "../ZkError.js";
import { buildFloatGraph, type FloatOp } from "./floatGraph.js";
import type {
  QuantizationParams,
  WeightMode,
  ZkLayer,
  ZkModelSpec,
  ZkValue,
  ZkWindow,
} from "./ZkModelSpec.js";

export { SUPPORTED_OPS } from "./floatGraph.js";

/** Accumulators must stay this far below the field order (~2^253.6) for exact integer semantics. */
const MAX_ACCUMULATOR_BITS = 250;
/** Above this many bits a value is rescaled before it feeds another linear layer. */
const LINEAR_BUDGET_BITS = 200;

/** Per-element interval [lo, hi] of a value (proven by the compiler from the input range and the constants). */
type Interval = { lo: bigint[]; hi: bigint[] };

const maxOf = (v: readonly bigint[]) => v.reduce((m, x) => (x > m ? x : m), v[0] ?? 0n);
const minOf = (v: readonly bigint[]) => v.reduce((m, x) => (x < m ? x : m), v[0] ?? 0n);
const abs = (v: bigint) => (v < 0n ? -v : v);

/** max |v| over an interval. */
function boundOf(iv: Interval): bigint {
  const a = abs(minOf(iv.lo));
  const b = abs(maxOf(iv.hi));
  return a > b ? a : b;
}

/** Smallest V with every element of [lo, hi] in [-2^(V-1), 2^(V-1)). */
function signedBits(lo: bigint, hi: bigint): number {
  let v = 1;
  while (lo < -(1n << BigInt(v - 1)) || hi >= 1n << BigInt(v - 1)) v++;
  return v;
}

/**
 * Weight scale of a layer: weights keep `scaleBits` significant bits relative to the largest
 * |w| (a layer of tiny weights, e.g. with a folded 1/255 input normalisation, gets more
 * fractional bits; the rescale after it absorbs them).
 */
function weightScale(w: ArrayLike<number>, scaleBits: number): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]!));
  if (m === 0) return scaleBits;
  return Math.min(Math.max(scaleBits - Math.ceil(Math.log2(m)), 0), 2 * scaleBits + 16);
}

function floorDiv(v: bigint, shift: number): bigint {
  return v >> BigInt(shift);
}

/**
 * Lower an ONNX graph (batch 1) to fixed-point layers. Constant-weight sums stay exact integer
 * linear maps (no constraint); a value is rescaled (and range-checked) only where a ReLU, a
 * MaxPool, the output or the accumulator budget needs it, each to the range interval analysis
 * proves. Refuses any operator not in SUPPORTED_OPS with UNSUPPORTED_OP naming the op and the node.
 */
export function lowerOnnxGraph(
  graph: OnnxGraph,
  quant: QuantizationParams,
  weightMode: WeightMode,
): ZkModelSpec {
  const { scaleBits: S, valueBits } = quant;
  const fg = buildFloatGraph(graph);
  const values: ZkValue[] = [];
  const intervals: Interval[] = [];
  const layers: ZkLayer[] = [];
  const half = 1n << BigInt(valueBits - 1);

  const inSize = fg.sizes[0]!;
  const inIv: Interval =
    fg.inputKind === "uint8"
      ? { lo: new Array<bigint>(inSize).fill(0n), hi: new Array<bigint>(inSize).fill(255n) }
      : { lo: new Array<bigint>(inSize).fill(-half), hi: new Array<bigint>(inSize).fill(half - 1n) };
  const newValue = (iv: Interval, scale: number): number => {
    values.push({ size: iv.lo.length, bound: boundOf(iv), scale });
    intervals.push(iv);
    return values.length - 1;
  };
  newValue(inIv, fg.inputKind === "uint8" ? 0 : S);
  /** float value id → spec value id */
  const map = new Map<number, number>([[0, 0]]);
  const val = (floatId: number): number => {
    const v = map.get(floatId);
    if (v === undefined)
      throw new ZkError("INVALID_MODEL", `Internal: value ${floatId} used before definition.`);
    return v;
  };

  /** Rescale value `id` to scale S (optionally with ReLU); returns the new value. */
  const rescale = (node: string, id: number, relu: boolean): number => {
    const { scale } = values[id]!;
    const iv = intervals[id]!;
    const shift = Math.max(scale - S, 0);
    const qlo = floorDiv(minOf(iv.lo), shift);
    const qhi = floorDiv(maxOf(iv.hi), shift);
    let bits = signedBits(qlo, qhi);
    if (bits > valueBits) bits = valueBits;
    const lim = 1n << BigInt(bits - 1);
    const clamp = (q: bigint) => (q < -lim ? -lim : q >= lim ? lim - 1n : q);
    const lo = iv.lo.map((v) => {
      const q = clamp(floorDiv(v, shift));
      return relu && q < 0n ? 0n : q;
    });
    const hi = iv.hi.map((v) => {
      const q = clamp(floorDiv(v, shift));
      return relu && q < 0n ? 0n : q;
    });
    const output = newValue({ lo, hi }, scale - shift);
    layers.push({ op: "rescale", node, input: id, output, shift, relu, bits });
    return output;
  };
  /** Rescale first when another linear layer on `id` could leave the budget. */
  const budget = (node: string, id: number, weightBits: number, fanIn: number): number => {
    const bits = bitLength(values[id]!.bound) + weightBits + bitLength(BigInt(fanIn)) + 1;
    return bits > LINEAR_BUDGET_BITS ? rescale(node, id, false) : id;
  };

  const quantizeAll = (w: ArrayLike<number>, scale: number): bigint[] =>
    Array.from({ length: w.length }, (_, i) => quantize(w[i]!, scale));

  for (const op of fg.ops) {
    switch (op.kind) {
      case "dense": {
        const ws = weightScale(op.w, S);
        const x = budget(op.node, val(op.in), ws + 2, op.k);
        const e = values[x]!.scale + ws;
        const weights = quantizeAll(op.w, ws);
        const bias = quantizeAll(op.b, e);
        const iv = intervals[x]!;
        const lo: bigint[] = [];
        const hi: bigint[] = [];
        for (let i = 0; i < op.n; i++) {
          const [l, h] = sumInterval(bias[i]!, weights, iv, (tap) => {
            for (let j = 0; j < op.k; j++) tap(j, i * op.k + j);
          });
          lo.push(l);
          hi.push(h);
        }
        const output = newValue({ lo, hi }, e);
        layers.push({
          op: "linear",
          node: op.node,
          input: x,
          output,
          inSize: op.k,
          outSize: op.n,
          weights,
          bias,
        });
        map.set(op.out, output);
        break;
      }
      case "conv": {
        const ws = weightScale(op.w, S);
        const per = op.w.length / op.outShape[0];
        const x = budget(op.node, val(op.in), ws + 2, per);
        const e = values[x]!.scale + ws;
        const weights = quantizeAll(op.w, ws);
        const bias = quantizeAll(op.b, e);
        const iv = intervals[x]!;
        const lo: bigint[] = [];
        const hi: bigint[] = [];
        windowTaps(op, true, (o, taps) => {
          const [l, h] = sumInterval(bias[o.c]!, weights, iv, (tap) => {
            for (const [xi, wi] of taps) tap(xi, wi);
          });
          lo.push(l);
          hi.push(h);
        });
        const output = newValue({ lo, hi }, e);
        layers.push({ op: "conv", node: op.node, input: x, output, ...windowOf(op), weights, bias });
        map.set(op.out, output);
        break;
      }
      case "avgPool": {
        const k = op.kernel[0] * op.kernel[1];
        const pow2 = (k & (k - 1)) === 0;
        const ms = pow2 ? 0 : weightScale([1 / k], S);
        const x = budget(op.node, val(op.in), ms + 1, k);
        const multiplier = pow2 ? 1n : quantize(1 / k, ms);
        const e = values[x]!.scale + (pow2 ? Math.log2(k) : ms);
        const iv = intervals[x]!;
        const lo: bigint[] = [];
        const hi: bigint[] = [];
        windowTaps(op, false, (_o, taps) => {
          let l = 0n;
          let h = 0n;
          for (const [xi] of taps) {
            l += iv.lo[xi]!;
            h += iv.hi[xi]!;
          }
          // Zero padding adds zeros: fold them into the interval as well.
          if (taps.length < k) {
            if (l > 0n) l = 0n;
            if (h < 0n) h = 0n;
          }
          lo.push(l * multiplier);
          hi.push(h * multiplier);
        });
        const output = newValue({ lo, hi }, e);
        layers.push({ op: "sumPool", node: op.node, input: x, output, ...windowOf(op), multiplier });
        map.set(op.out, output);
        break;
      }
      case "maxPool": {
        let x = val(op.in);
        if (values[x]!.scale > S) x = rescale(op.node, x, false);
        const iv = intervals[x]!;
        const lo: bigint[] = [];
        const hi: bigint[] = [];
        let diff = 0n;
        windowTaps(op, false, (_o, taps) => {
          let l = iv.lo[taps[0]![0]]!;
          let h = iv.hi[taps[0]![0]]!;
          for (const [xi] of taps.slice(1)) {
            // Each step compares e − m with m ∈ [l, h]; then m becomes max(m, e).
            const d1 = abs(iv.hi[xi]! - l);
            const d2 = abs(iv.lo[xi]! - h);
            if (d1 > diff) diff = d1;
            if (d2 > diff) diff = d2;
            if (iv.lo[xi]! > l) l = iv.lo[xi]!;
            if (iv.hi[xi]! > h) h = iv.hi[xi]!;
          }
          lo.push(l);
          hi.push(h);
        });
        const output = newValue({ lo, hi }, values[x]!.scale);
        layers.push({
          op: "maxPool",
          node: op.node,
          input: x,
          output,
          ...windowOf(op),
          bits: bitLength(diff),
        });
        map.set(op.out, output);
        break;
      }
      case "affine": {
        let x = val(op.in);
        let mul: bigint[] | undefined;
        let e = values[x]!.scale;
        if (op.mul?.some((m) => m !== 1)) {
          const ms = weightScale(op.mul, S);
          x = budget(op.node, x, ms + 1, 1);
          e = values[x]!.scale + ms;
          mul = quantizeAll(op.mul, ms);
        }
        const add = op.add ? quantizeAll(op.add, e) : new Array<bigint>(values[x]!.size).fill(0n);
        const iv = intervals[x]!;
        const lo: bigint[] = [];
        const hi: bigint[] = [];
        for (let i = 0; i < iv.lo.length; i++) {
          const m = mul?.[i] ?? 1n;
          const [a, b] = m >= 0n ? [m * iv.lo[i]!, m * iv.hi[i]!] : [m * iv.hi[i]!, m * iv.lo[i]!];
          lo.push(a + add[i]!);
          hi.push(b + add[i]!);
        }
        const output = newValue({ lo, hi }, e);
        layers.push({ op: "affine", node: op.node, input: x, output, ...(mul ? { mul } : {}), add });
        map.set(op.out, output);
        break;
      }
      case "relu": {
        map.set(op.out, rescale(op.node, val(op.in), true));
        break;
      }
      case "add2": {
        const a = val(op.a);
        const b = val(op.b);
        const e = Math.max(values[a]!.scale, values[b]!.scale);
        const shiftA = e - values[a]!.scale;
        const shiftB = e - values[b]!.scale;
        const [ia, ib] = [intervals[a]!, intervals[b]!];
        const lo = ia.lo.map((v, i) => (v << BigInt(shiftA)) + (ib.lo[i]! << BigInt(shiftB)));
        const hi = ia.hi.map((v, i) => (v << BigInt(shiftA)) + (ib.hi[i]! << BigInt(shiftB)));
        const output = newValue({ lo, hi }, e);
        layers.push({ op: "add", node: op.node, a, b, output, shiftA, shiftB });
        map.set(op.out, output);
        break;
      }
      case "gather": {
        const x = val(op.in);
        const iv = intervals[x]!;
        const output = newValue(
          { lo: op.indices.map((i) => iv.lo[i]!), hi: op.indices.map((i) => iv.hi[i]!) },
          values[x]!.scale,
        );
        layers.push({ op: "gather", node: op.node, input: x, output, indices: op.indices });
        map.set(op.out, output);
        break;
      }
    }
  }

  // The output leaves at scale S: rescaled when above, multiplied up when below.
  let out = val(fg.output);
  const e = values[out]!.scale;
  if (e > S) out = rescale("output", out, false);
  else if (e < S || out === 0) {
    const m = 1n << BigInt(S - e);
    const iv = intervals[out]!;
    const output = newValue({ lo: iv.lo.map((v) => v * m), hi: iv.hi.map((v) => v * m) }, S);
    layers.push({
      op: "affine",
      node: "output",
      input: out,
      output,
      mul: new Array<bigint>(iv.lo.length).fill(m),
      add: new Array<bigint>(iv.lo.length).fill(0n),
    });
    out = output;
  }
  if (bitLength(values[out]!.bound) > 63) {
    throw new ZkError("QUANTIZATION_OVERFLOW", "The model output does not fit int64 at the chosen scale.");
  }

  const spec: ZkModelSpec = {
    scaleBits: S,
    valueBits,
    weightMode,
    input: { name: fg.inputName, dims: fg.inputDims, size: inSize, kind: fg.inputKind },
    output: { name: fg.outputName, dims: fg.outputDims, size: values[out]!.size },
    values,
    layers,
    outputValue: out,
  };
  if (weightMode === "private") checkPrivate(spec);
  checkBounds(spec);
  return spec;
}

function windowOf(op: ZkWindow): ZkWindow {
  return { inShape: op.inShape, outShape: op.outShape, kernel: op.kernel, stride: op.stride, pads: op.pads };
}

/** Private weights: dense layers and per-element constants only (each product is a constraint). */
function checkPrivate(spec: ZkModelSpec): void {
  for (const l of spec.layers) {
    if (l.op === "conv" || (l.op === "affine" && l.mul)) {
      throw new ZkError(
        "INVALID_MODEL",
        `Node "${l.node}": weight mode "private" supports dense layers and added constants only.`,
      );
    }
  }
}

/** Compile-time bounds: every value must stay far below the field order. */
function checkBounds(spec: ZkModelSpec): void {
  for (const v of spec.values) {
    if (bitLength(v.bound) > MAX_ACCUMULATOR_BITS) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `A value bound 2^${bitLength(v.bound)} exceeds 2^${MAX_ACCUMULATOR_BITS}.`,
      );
    }
  }
}

export type { FloatOp };

/**
 * The interval of `bias + Σ weights[wi]·x[xi]` over the taps `each` hands out, with each x in
 * [iv.lo, iv.hi]: a positive weight takes the bound of its own side, a negative one the other.
 */
function sumInterval(
  bias: bigint,
  weights: readonly bigint[],
  iv: { lo: readonly bigint[]; hi: readonly bigint[] },
  each: (tap: (xi: number, wi: number) => void) => void,
): [bigint, bigint] {
  let l = bias;
  let h = bias;
  each((xi, wi) => {
    const w = weights[wi]!;
    if (w >= 0n) {
      l += w * iv.lo[xi]!;
      h += w * iv.hi[xi]!;
    } else {
      l += w * iv.hi[xi]!;
      h += w * iv.lo[xi]!;
    }
  });
  return [l, h];
}
