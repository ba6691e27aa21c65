import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  dequantize,
  dequantizeOutputs,
  quantize,
  quantizeInputs,
  runQuantized,
  ZkError,
  zkOutputs,
} from "../src/index.js";
import { compileModel } from "../src/toolchain.js";
import { IRIS, IRIS_ONNX, irisInput, irisOnnx } from "./helpers.js";
import { mixedOpsOnnx, smallCnnOnnx } from "./models.js";

/**
 * Documented tolerance (README "Quantization"): at scale 2^16 the fixed-point logits of the
 * example model stay within 2^-10 of onnxruntime's float32 logits.
 */
const IRIS_TOLERANCE = 2 ** -10;

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

describe("quantized executor", () => {
  it("default: matches onnxruntime's float output on the real Iris data within tolerance", async () => {
    const compiled = await compileModel(irisOnnx());
    const session = await ort.InferenceSession.create(IRIS_ONNX);
    const n = IRIS.x.length;
    const feeds = { input: new ort.Tensor("float32", Float32Array.from(IRIS.x.flat()), [n, 4]) };
    const logits = (await session.run(feeds))["logits"]!.data as Float32Array;
    let maxErr = 0;
    let sameArgmax = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const x = quantizeInputs(compiled.spec, irisInput(i));
      const { output } = runQuantized(compiled.spec, x);
      const fixed = dequantizeOutputs(compiled.spec, zkOutputs(compiled.spec, output));
      const float = logits.subarray(i * 3, i * 3 + 3);
      for (let k = 0; k < 3; k++) maxErr = Math.max(maxErr, Math.abs(fixed[k]! - float[k]!));
      if (argmax(fixed) === argmax(float)) sameArgmax++;
      if (argmax(fixed) === IRIS.y[i]) correct++;
    }
    await session.release();
    expect(maxErr).toBeLessThan(IRIS_TOLERANCE);
    expect(sameArgmax / n).toBeGreaterThanOrEqual(0.95);
    expect(sameArgmax).toBe(n);
    expect(correct / n).toBeGreaterThan(0.95);
  });

  it("behavior: matches onnxruntime on a model using every supported op (negative inputs too)", async () => {
    const bytes = mixedOpsOnnx();
    const compiled = await compileModel(bytes);
    const session = await ort.InferenceSession.create(bytes);
    let maxErr = 0;
    for (let t = 0; t < 20; t++) {
      const data = Float32Array.from({ length: 6 }, (_, i) => Math.sin(t * 3.1 + i) * 4);
      const out = (await session.run({ features: new ort.Tensor("float32", data, [1, 2, 3]) }))["y"]!
        .data as Float32Array;
      const x = quantizeInputs(compiled.spec, { features: { dtype: "float32", dims: [1, 2, 3], data } });
      const y = runQuantized(compiled.spec, x).output.map((q) => dequantize(q, 16));
      y.forEach((v, k) => {
        maxErr = Math.max(maxErr, Math.abs(v - out[k]!));
      });
    }
    await session.release();
    expect(maxErr).toBeLessThan(2 ** -10);
  });

  it("behavior: quantize rounds half up at scale 2^s, deterministically", () => {
    expect(quantize(1.5, 0)).toBe(2n);
    expect(quantize(-1.5, 0)).toBe(-1n);
    expect(quantize(5.1, 16)).toBe(BigInt(Math.floor(5.1 * 65536 + 0.5)));
    expect(quantize(Math.fround(-0.2), 16)).toBe(-13107n);
    expect(dequantize(-13107n, 16)).toBeCloseTo(-0.2, 4);
  });

  it("behavior: matches onnxruntime on a CNN with uint8 input (conv, pools, folded BatchNormalization)", async () => {
    const bytes = smallCnnOnnx();
    const compiled = await compileModel(bytes, { scaleBits: 12 });
    const session = await ort.InferenceSession.create(bytes);
    let maxErr = 0;
    for (let t = 0; t < 20; t++) {
      const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + t * 101) % 256);
      const out = (await session.run({ pixels: new ort.Tensor("uint8", data, [1, 1, 8, 8]) }))["logits"]!
        .data as Float32Array;
      const x = quantizeInputs(compiled.spec, { pixels: { dtype: "uint8", dims: [1, 1, 8, 8], data } });
      const y = runQuantized(compiled.spec, x).output.map((q) => dequantize(q, 12));
      y.forEach((v, k) => {
        maxErr = Math.max(maxErr, Math.abs(v - out[k]!));
      });
    }
    await session.release();
    expect(maxErr).toBeLessThan(2 ** -6);
  });

  it("behavior: rescales floor-divide (BigInt >>), including negative accumulators", async () => {
    const compiled = await compileModel(irisOnnx());
    const layer = compiled.spec.layers[3]!;
    if (layer.op !== "rescale") throw new Error("expected rescale");
    const trace = runQuantized(compiled.spec, quantizeInputs(compiled.spec, irisInput(120)));
    const acc = trace.values[layer.input]!;
    const d = 1n << BigInt(layer.shift);
    expect(acc.some((v) => v < 0n)).toBe(true);
    acc.forEach((v, i) => {
      const q = trace.output[i]!;
      expect(q * d <= v && v < (q + 1n) * d).toBe(true);
    });
  });

  it("error: inputs outside the circuit's value range are refused", async () => {
    const compiled = await compileModel(irisOnnx(), { valueBits: 20 });
    const big = { input: { dtype: "float32" as const, dims: [1, 4], data: Float32Array.from([9, 1, 1, 1]) } };
    expect(() => quantizeInputs(compiled.spec, big)).toThrowError(ZkError);
    try {
      quantizeInputs(compiled.spec, big);
    } catch (e) {
      expect((e as ZkError).code).toBe("QUANTIZATION_OVERFLOW");
    }
  });

  it("error: inputs with the wrong name, dtype or shape are refused", async () => {
    const { spec } = await compileModel(irisOnnx());
    const codes = [
      { other: { dtype: "float32" as const, dims: [1, 4], data: new Float32Array(4) } },
      { input: { dtype: "int32" as const, dims: [1, 4], data: new Int32Array(4) } },
      { input: { dtype: "float32" as const, dims: [1, 5], data: new Float32Array(5) } },
      { input: { dtype: "float32" as const, dims: [1, 4], data: Float32Array.from([1, Number.NaN, 0, 0]) } },
    ].map((inputs) => {
      try {
        quantizeInputs(spec, inputs);
        return "none";
      } catch (e) {
        return (e as ZkError).code;
      }
    });
    expect(codes).toEqual(["INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"]);
  });
});
