import type { ZkModelSpec } from "../compiler/ZkModelSpec.js";
import { ZkError } from "../ZkError.js";
import { inSignedRange } from "./fixedPoint.js";

/** Every value vector of one quantized run (index = value id; 0 is the input). */
export type QuantizedTrace = {
  values: bigint[][];
  output: bigint[];
};

/**
 * The fixed-point computation the circuit proves, in TypeScript, bit for bit:
 *   linear:   acc = Σ Wq·x + bq (scale 2s);  y = floor(acc / 2^s)  (BigInt >> is floor)
 *             y must lie in [-2^(V-1), 2^(V-1)) (the circuit's range check) else QUANTIZATION_OVERFLOW
 *   relu:     y = max(x, 0);  add/addConst: exact integer sums.
 * `input` holds the quantized input (scale 2^s), each in [-2^(V-1), 2^(V-1)).
 */
export function runQuantized(spec: ZkModelSpec, input: readonly bigint[]): QuantizedTrace {
  if (input.length !== spec.input.size) {
    throw new ZkError("INVALID_INPUT", `Expected ${spec.input.size} input values, got ${input.length}.`);
  }
  input.forEach((v, i) => {
    if (!inSignedRange(v, spec.valueBits)) {
      throw new ZkError(
        "QUANTIZATION_OVERFLOW",
        `Input element ${i} (${v}) is outside [-2^${spec.valueBits - 1}, 2^${spec.valueBits - 1}).`,
      );
    }
  });
  const s = BigInt(spec.scaleBits);
  const values: bigint[][] = [input.slice()];
  for (const layer of spec.layers) {
    switch (layer.op) {
      case "linear": {
        const x = values[layer.input]!;
        const y = new Array<bigint>(layer.outSize);
        for (let i = 0; i < layer.outSize; i++) {
          let acc = layer.bias[i]!;
          const row = i * layer.inSize;
          for (let j = 0; j < layer.inSize; j++) acc += layer.weights[row + j]! * x[j]!;
          const q = acc >> s;
          if (!inSignedRange(q, spec.valueBits)) {
            throw new ZkError(
              "QUANTIZATION_OVERFLOW",
              `Node "${layer.node}": output ${i} (${q}) is outside the ${spec.valueBits}-bit signed range.`,
            );
          }
          y[i] = layer.relu && q < 0n ? 0n : q;
        }
        values[layer.output] = y;
        break;
      }
      case "addConst": {
        const x = values[layer.input]!;
        values[layer.output] = x.map((v, i) => v + layer.constant[i]!);
        break;
      }
      case "add": {
        const a = values[layer.a]!;
        const b = values[layer.b]!;
        values[layer.output] = a.map((v, i) => v + b[i]!);
        break;
      }
      case "relu": {
        values[layer.output] = values[layer.input]!.map((v) => (v < 0n ? 0n : v));
        break;
      }
    }
  }
  return { values, output: values[spec.outputValue]! };
}
