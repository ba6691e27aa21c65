import type { ZkModelSpec } from "../compiler/ZkModelSpec.js";

/**
 * The model's parameters as one vector, the preimage of the weights commitment: layers in order;
 * a linear layer contributes its weights (row-major, out × in) then its bias; a conv layer its
 * weights (out × in × kh × kw) then its bias; an affine layer its multipliers (when present) then
 * its added constants. Structural constants (pool multipliers, shifts, gathers) are not parameters.
 */
export function weightVector(spec: ZkModelSpec): bigint[] {
  const out: bigint[] = [];
  for (const l of spec.layers) {
    if (l.op === "linear" || l.op === "conv") out.push(...l.weights, ...l.bias);
    else if (l.op === "affine") {
      if (l.mul) out.push(...l.mul);
      out.push(...l.add);
    }
  }
  return out;
}
