import type { ZkLayer, ZkModelSpec, ZkWindow } from "../compiler/ZkModelSpec.js";
import { ZkError } from "../ZkError.js";
import { inSignedRange } from "./fixedPoint.js";
import { windowTaps } from "./windowTaps.js";

/** Every value vector of one quantized run (index = value id; 0 is the input). */
export type QuantizedTrace = {
  values: bigint[][];
  output: bigint[];
};

type Taps = { taps: Int32Array; weights: Int32Array; start: Int32Array };
const tapCache = new WeakMap<ZkWindow, Taps>();

/** The taps of a window layer, flattened once per layer object. */
function tapsOf(win: ZkWindow, conv: boolean): Taps {
  let t = tapCache.get(win);
  if (t) return t;
  const xs: number[] = [];
  const ws: number[] = [];
  const start: number[] = [0];
  windowTaps(win, conv, (_o, taps) => {
    for (const [xi, wi] of taps) {
      xs.push(xi);
      ws.push(wi);
    }
    start.push(xs.length);
  });
  t = { taps: Int32Array.from(xs), weights: Int32Array.from(ws), start: Int32Array.from(start) };
  tapCache.set(win, t);
  return t;
}

const abs = (v: bigint) => (v < 0n ? -v : v);
const maxAbs = (v: readonly bigint[]) => v.reduce((m, x) => (abs(x) > m ? abs(x) : m), 0n);
const SAFE = 1n << 52n;

/** True when Σ|w|·max|x| + max|b| < 2^52: the sums are exact in float64. */
function fitsNumber(
  weights: readonly bigint[],
  bias: readonly bigint[],
  x: readonly bigint[],
  fanIn: number,
): boolean {
  return maxAbs(weights) * maxAbs(x) * BigInt(fanIn) + maxAbs(bias) < SAFE;
}

function linear(l: Extract<ZkLayer, { op: "linear" }>, x: readonly bigint[]): bigint[] {
  const y = new Array<bigint>(l.outSize);
  if (fitsNumber(l.weights, l.bias, x, l.inSize)) {
    const xn = x.map(Number);
    for (let i = 0; i < l.outSize; i++) {
      let acc = Number(l.bias[i]!);
      const row = i * l.inSize;
      for (let j = 0; j < l.inSize; j++) acc += Number(l.weights[row + j]!) * xn[j]!;
      y[i] = BigInt(acc);
    }
    return y;
  }
  for (let i = 0; i < l.outSize; i++) {
    let acc = l.bias[i]!;
    const row = i * l.inSize;
    for (let j = 0; j < l.inSize; j++) acc += l.weights[row + j]! * x[j]!;
    y[i] = acc;
  }
  return y;
}

function conv(l: Extract<ZkLayer, { op: "conv" }>, x: readonly bigint[]): bigint[] {
  const t = tapsOf(l, true);
  const n = t.start.length - 1;
  const per = l.outShape[1] * l.outShape[2];
  const y = new Array<bigint>(n);
  const fan = l.weights.length / l.outShape[0];
  if (fitsNumber(l.weights, l.bias, x, fan)) {
    const xn = x.map(Number);
    const wn = l.weights.map(Number);
    for (let o = 0; o < n; o++) {
      let acc = Number(l.bias[Math.floor(o / per)]!);
      for (let k = t.start[o]!; k < t.start[o + 1]!; k++) acc += wn[t.weights[k]!]! * xn[t.taps[k]!]!;
      y[o] = BigInt(acc);
    }
    return y;
  }
  for (let o = 0; o < n; o++) {
    let acc = l.bias[Math.floor(o / per)]!;
    for (let k = t.start[o]!; k < t.start[o + 1]!; k++) acc += l.weights[t.weights[k]!]! * x[t.taps[k]!]!;
    y[o] = acc;
  }
  return y;
}

/**
 * The fixed-point computation the circuit proves, in TypeScript, bit for bit (exact integers):
 *   linear/conv/sumPool/affine/add/gather: exact integer linear maps with the constants;
 *   rescale:  q = floor(x / 2^shift) (BigInt >> floors), which must lie in [-2^(bits-1), 2^(bits-1))
 *             (the circuit's range check) else QUANTIZATION_OVERFLOW; relu: max(q, 0);
 *   maxPool:  m ← m + max(e − m, 0) over the window.
 * `input` holds the quantized input (scale 2^s for `fixed` inputs, integers in [0, 255] for `uint8`).
 */
export function runQuantized(spec: ZkModelSpec, input: readonly bigint[]): QuantizedTrace {
  if (input.length !== spec.input.size) {
    throw new ZkError("INVALID_INPUT", `Expected ${spec.input.size} input values, got ${input.length}.`);
  }
  const uint8 = spec.input.kind === "uint8";
  input.forEach((v, i) => {
    if (uint8 ? v < 0n || v > 255n : !inSignedRange(v, spec.valueBits)) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `Input element ${i} (${v}) is outside ${uint8 ? "[0, 255]" : `[-2^${spec.valueBits - 1}, 2^${spec.valueBits - 1})`}.`,
      );
    }
  });
  const values: bigint[][] = [input.slice()];
  for (const layer of spec.layers) {
    switch (layer.op) {
      case "linear":
        values[layer.output] = linear(layer, values[layer.input]!);
        break;
      case "conv":
        values[layer.output] = conv(layer, values[layer.input]!);
        break;
      case "sumPool": {
        const x = values[layer.input]!;
        const t = tapsOf(layer, false);
        const y = new Array<bigint>(t.start.length - 1);
        for (let o = 0; o < y.length; o++) {
          let acc = 0n;
          for (let k = t.start[o]!; k < t.start[o + 1]!; k++) acc += x[t.taps[k]!]!;
          y[o] = acc * layer.multiplier;
        }
        values[layer.output] = y;
        break;
      }
      case "maxPool": {
        const x = values[layer.input]!;
        const t = tapsOf(layer, false);
        const y = new Array<bigint>(t.start.length - 1);
        for (let o = 0; o < y.length; o++) {
          let m = x[t.taps[t.start[o]!]!]!;
          for (let k = t.start[o]! + 1; k < t.start[o + 1]!; k++) {
            const e = x[t.taps[k]!]!;
            if (e > m) m = e;
          }
          y[o] = m;
        }
        values[layer.output] = y;
        break;
      }
      case "affine": {
        const x = values[layer.input]!;
        values[layer.output] = x.map((v, i) => (layer.mul ? layer.mul[i]! * v : v) + layer.add[i]!);
        break;
      }
      case "add": {
        const a = values[layer.a]!;
        const b = values[layer.b]!;
        const sa = BigInt(layer.shiftA);
        const sb = BigInt(layer.shiftB);
        values[layer.output] = a.map((v, i) => (v << sa) + (b[i]! << sb));
        break;
      }
      case "gather": {
        const x = values[layer.input]!;
        values[layer.output] = layer.indices.map((i) => x[i]!);
        break;
      }
      case "rescale": {
        const s = BigInt(layer.shift);
        values[layer.output] = values[layer.input]!.map((v, i) => {
          const q = v >> s;
          if (!inSignedRange(q, layer.bits)) {
            throw new ZkError(
              "QUANTIZATION_OVERFLOW",
              `Node "${layer.node}": value ${i} (${q}) is outside the ${layer.bits}-bit signed range.`,
            );
          }
          return layer.relu && q < 0n ? 0n : q;
        });
        break;
      }
    }
  }
  return { values, output: values[spec.outputValue]! };
}
