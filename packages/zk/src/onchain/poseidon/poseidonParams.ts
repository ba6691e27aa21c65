import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { FIELD_ORDER } from "../../quant/field.js";

/**
 * Poseidon's round constants and MDS matrices (circomlibjs's, bit-exact with circomlib) and their
 * rewriting for the EVM generator (poseidonContract.ts): partial-round constants carried forward
 * through the MDS matrix and the sparse factorisation of the last partial rounds.
 */

export const P = FIELD_ORDER;
export const N_ROUNDS_F = 8;
export const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68] as const;
/** EIP-170 limit on deployed code. */
export const MAX_RUNTIME_SIZE = 24_576;
/** Largest u with u * (p - 1) < 2^256: lazily added terms stay within a word. */
export const MAX_UNITS = 5;

// --- circomlibjs constants -------------------------------------------------------------------

type RawConstants = { C: string[][]; M: string[][][] };
let rawConstants: RawConstants | undefined;

/** circomlibjs's poseidon_constants.json (its package exports do not expose the module). */
function loadRawConstants(): RawConstants {
  if (rawConstants) return rawConstants;
  const main = createRequire(import.meta.url).resolve("circomlibjs"); // <pkg>/build/main.cjs
  const file = join(dirname(dirname(main)), "src", "poseidon_constants.json");
  rawConstants = JSON.parse(readFileSync(file, "utf8")) as RawConstants;
  return rawConstants;
}

// --- field helpers ---------------------------------------------------------------------------

export const mod = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

function inv(a: bigint): bigint {
  let [r0, r1] = [mod(a), P];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("poseidonContract: not invertible");
  return mod(s0);
}

/** Solves A x = b over the field (Gauss-Jordan). */
function solve(a: bigint[][], b: bigint[]): bigint[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as bigint]);
  for (let col = 0; col < n; col++) {
    const piv = m.findIndex((row, i) => i >= col && row[col] !== 0n);
    if (piv < 0) throw new Error("poseidonContract: singular matrix");
    [m[col], m[piv]] = [m[piv] as bigint[], m[col] as bigint[]];
    const prow = m[col] as bigint[];
    const f = inv(prow[col] as bigint);
    for (let k = col; k <= n; k++) prow[k] = mod((prow[k] as bigint) * f);
    for (let i = 0; i < n; i++) {
      const row = m[i] as bigint[];
      const g = row[col] as bigint;
      if (i === col || g === 0n) continue;
      for (let k = col; k <= n; k++) row[k] = mod((row[k] as bigint) - g * (prow[k] as bigint));
    }
  }
  return m.map((row) => row[n] as bigint);
}

export const at = <T>(a: readonly T[], i: number): T => {
  const v = a[i];
  if (v === undefined) throw new Error(`poseidonContract: index ${i} out of range`);
  return v;
};

// --- the rewritten permutation ---------------------------------------------------------------

export type Sparse = { a: bigint; v: bigint[]; w: bigint[] };

type Params = {
  t: number;
  nRoundsP: number;
  /** Round constants after carrying partial-round constants forward; partial rounds use [0] only. */
  c: bigint[][];
  m: bigint[][];
  /** sparse[i] and dense[i]: the i-th partial round from the end is sparse[i]; then the round before
   * the sparse ones uses dense[i] (dense[0] = M). Grown lazily. */
  sparse: Sparse[];
  dense: bigint[][][];
};

const paramsCache = new Map<number, Params>();

export function params(t: number): Params {
  const cached = paramsCache.get(t);
  if (cached) return cached;
  const raw = loadRawConstants();
  const nRoundsP = at(N_ROUNDS_P, t - 2);
  const flat = at(raw.C, t - 2).map((x) => BigInt(x));
  const m = at(raw.M, t - 2).map((row) => row.map((x) => BigInt(x)));
  const nRounds = N_ROUNDS_F + nRoundsP;
  const c: bigint[][] = [];
  for (let r = 0; r < nRounds; r++) c.push(flat.slice(r * t, (r + 1) * t));
  // Carry constants of elements 1..t-1 out of partial rounds into the next round: the S-box only
  // touches element 0, so adding them before or after it is the same; after the mix they are M·rest.
  for (let r = N_ROUNDS_F / 2; r < N_ROUNDS_F / 2 + nRoundsP; r++) {
    const cr = at(c, r);
    const next = at(c, r + 1);
    for (let i = 0; i < t; i++) {
      let s = 0n;
      for (let j = 1; j < t; j++) s += at(at(m, i), j) * at(cr, j);
      next[i] = mod(at(next, i) + s);
    }
    c[r] = [at(cr, 0)];
  }
  const p: Params = { t, nRoundsP, c, m, sparse: [], dense: [m] };
  paramsCache.set(t, p);
  return p;
}

/**
 * Extends the sparse decomposition by one more partial round (going backwards from the last one):
 * N = S·L with L = diag(1, D) and S = [[N00, bᵀD⁻¹], [c, I]]. L commutes with the partial round's
 * S-box and constant, so it moves into the previous round's matrix, which becomes L·M.
 */
export function growSparse(p: Params): void {
  const { t, m } = p;
  const n = at(p.dense, p.dense.length - 1);
  const d = n.slice(1).map((row) => row.slice(1));
  const b = at(n, 0).slice(1);
  const dT = d.map((_, i) => d.map((row) => at(row, i)));
  p.sparse.push({ a: at(at(n, 0), 0), v: solve(dT, b), w: n.slice(1).map((row) => at(row, 0)) });
  const prev: bigint[][] = [at(m, 0).slice()];
  for (let i = 1; i < t; i++) {
    const row: bigint[] = [];
    for (let j = 0; j < t; j++) {
      let s = 0n;
      for (let k = 1; k < t; k++) s += at(at(d, i - 1), k - 1) * at(at(m, k), j);
      row.push(mod(s));
    }
    prev.push(row);
  }
  p.dense.push(prev);
}
