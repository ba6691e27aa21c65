import type { TensorMap } from "@opg/protocol";
import type { ZkModelSpec } from "../compiler/ZkModelSpec.js";
import { dequantize, quantize } from "../quant/fixedPoint.js";
import { ZkError } from "../ZkError.js";

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  const strip = (d: readonly number[]) => {
    let i = 0;
    while (i < d.length - 1 && d[i] === 1) i++;
    return d.slice(i);
  };
  const x = strip(a);
  const y = strip(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The quantized input vector of a ZK-mode request: exactly one tensor, named like the model
 * input, with the model's shape (leading 1s optional). `fixed` inputs: float32 or float64, each
 * element q = floor(x·2^s + 1/2), which must lie in [-2^(V-1), 2^(V-1)). `uint8` inputs: a uint8
 * tensor, taken as is.
 */
export function quantizeInputs(spec: ZkModelSpec, inputs: TensorMap): bigint[] {
  const names = Object.keys(inputs);
  const t = inputs[spec.input.name];
  if (names.length !== 1 || !t) {
    throw new ZkError(
      "INVALID_INPUT",
      `Expected exactly one input tensor "${spec.input.name}"; got [${names.join(", ")}].`,
    );
  }
  const uint8 = spec.input.kind === "uint8";
  if (uint8 ? t.dtype !== "uint8" : t.dtype !== "float32" && t.dtype !== "float64") {
    throw new ZkError(
      "INVALID_INPUT",
      `Input "${spec.input.name}" must be ${uint8 ? "uint8" : "float32 or float64"}; got ${t.dtype}.`,
    );
  }
  if (!sameShape(t.dims, spec.input.dims) || t.data.length !== spec.input.size) {
    throw new ZkError(
      "INVALID_INPUT",
      `Input "${spec.input.name}" must have shape [${spec.input.dims.join(", ")}]; got [${t.dims.join(", ")}].`,
    );
  }
  if (uint8) return Array.from(t.data as Uint8Array, (v) => BigInt(v));
  const half = 1n << BigInt(spec.valueBits - 1);
  return Array.from(t.data as Float32Array | Float64Array, (x, i) => {
    const q = quantize(x, spec.scaleBits);
    if (q < -half || q >= half) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `Input element ${i} (${x}) is outside the circuit's ${spec.valueBits}-bit range.`,
      );
    }
    return q;
  });
}

/**
 * The outputs a ZK-mode result carries: the model output as int64 fixed point at scale 2^s
 * (the exact values the proof speaks about; real value = q / 2^s).
 */
export function zkOutputs(spec: ZkModelSpec, quantizedOutput: readonly bigint[]): TensorMap {
  return {
    [spec.output.name]: {
      dtype: "int64",
      dims: [...spec.output.dims],
      data: BigInt64Array.from(quantizedOutput),
    },
  };
}

/** The quantized output vector carried by a ZK-mode result (strict: name, dtype int64, shape). */
export function readZkOutputs(spec: ZkModelSpec, outputs: TensorMap): bigint[] {
  const names = Object.keys(outputs);
  const t = outputs[spec.output.name];
  if (names.length !== 1 || !t || t.dtype !== "int64") {
    throw new ZkError("INVALID_INPUT", `ZK outputs must be one int64 tensor "${spec.output.name}".`);
  }
  if (!sameShape(t.dims, spec.output.dims) || t.data.length !== spec.output.size) {
    throw new ZkError(
      "INVALID_INPUT",
      `Output "${spec.output.name}" must have shape [${spec.output.dims.join(", ")}].`,
    );
  }
  return Array.from(t.data);
}

/** Real values of ZK outputs (q / 2^s), e.g. for display or argmax. */
export function dequantizeOutputs(spec: ZkModelSpec, outputs: TensorMap): number[] {
  return readZkOutputs(spec, outputs).map((q) => dequantize(q, spec.scaleBits));
}
