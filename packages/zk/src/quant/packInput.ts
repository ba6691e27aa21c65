import type { ZkModelSpec } from "../compiler/ZkModelSpec.js";
import { commitVector } from "./commitVector.js";

/** uint8 input elements per field element of the packed input commitment (31 · 8 = 248 bits < p). */
export const PACK_BYTES = 31;

/**
 * The vector the input commitment covers: for `fixed` inputs the quantized elements themselves;
 * for `uint8` inputs the bytes packed little-endian, 31 per field element:
 * P_k = Σ_{j<31} x[31k + j] · 256^j (the circuit range-checks each x to 8 bits, so the packing is
 * injective).
 */
export function packInput(spec: Pick<ZkModelSpec, "input">, x: readonly bigint[]): bigint[] {
  if (spec.input.kind !== "uint8") return x.slice();
  const out: bigint[] = [];
  for (let k = 0; k < x.length; k += PACK_BYTES) {
    let p = 0n;
    const end = Math.min(k + PACK_BYTES, x.length);
    for (let j = end - 1; j >= k; j--) p = (p << 8n) | x[j]!;
    out.push(p);
  }
  return out;
}

/** The input commitment (public signal 1): commitVector(packInput(spec, x)). */
export function inputCommitment(spec: Pick<ZkModelSpec, "input">, x: readonly bigint[]): Promise<bigint> {
  return commitVector(packInput(spec, x));
}
