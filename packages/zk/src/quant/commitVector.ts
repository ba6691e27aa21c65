import { buildPoseidon, type Poseidon } from "circomlibjs";
import { toField } from "./field.js";

let poseidon: Promise<Poseidon> | undefined;

function getPoseidon(): Promise<Poseidon> {
  poseidon ??= buildPoseidon();
  return poseidon;
}

/** Elements absorbed per Poseidon permutation (circomlib PoseidonEx supports up to 16 inputs). */
export const COMMIT_BLOCK = 16;

/**
 * Poseidon commitment to a vector of signed integers (the circuit template `VectorCommit`):
 * elements are taken mod p; h_0 = 0; for each block of up to 16 elements
 * h_k = PoseidonEx(block_k, initialState = h_(k-1))[0]; the commitment is the last h.
 * A vector of at most 16 elements commits to circomlib's Poseidon(v). The empty vector commits to 0.
 */
export async function commitVector(values: readonly bigint[]): Promise<bigint> {
  const p = await getPoseidon();
  let h = 0n;
  for (let k = 0; k < values.length; k += COMMIT_BLOCK) {
    const block = values.slice(k, k + COMMIT_BLOCK).map(toField);
    h = p.F.toObject(p(block, h, 1));
  }
  return h;
}
