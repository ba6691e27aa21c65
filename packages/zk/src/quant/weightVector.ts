import type { ZkModelSpec } from "../compiler/ZkModelSpec.js";

/**
 * The model's parameters as one vector, the preimage of the weights commitment:
 * layers in order; a linear layer contributes its weights (row-major, out × in, scale 2^s) then
 * its bias (scale 2^(2s)); an addConst layer its constant (scale 2^s).
 */
export function weightVector(spec: ZkModelSpec): bigint[] {
  const out: bigint[] = [];
  for (const l of spec.layers) {
    if (l.op === "linear") out.push(...l.weights, ...l.bias);
    else if (l.op === "addConst") out.push(...l.constant);
  }
  return out;
}
