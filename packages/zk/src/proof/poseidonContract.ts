import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Hex } from "viem";
import { FIELD_ORDER } from "../quant/field.js";

/**
 * EVM bytecode for circomlib's PoseidonEx(nInputs, 1) with an explicit initial state, so that a
 * contract can recompute our vector commitments (`commitVector`, circuit template `VectorCommit`).
 *
 * The deployed contract has no function selector: its calldata is exactly 32 * (1 + nInputs) bytes,
 * the initial state followed by the inputs (big-endian words, each < p); it returns out[0] as one
 * 32-byte word, and reverts (empty data) on any other calldata length or on a word >= p.
 *
 * Computation is bit-exact with circomlibjs's Poseidon (same round constants and MDS matrices,
 * read from the installed circomlibjs). The generator rewrites the rounds into an equivalent but
 * cheaper form:
 * - partial-round constants of elements 1..t-1 are carried forward through the MDS matrix, so a
 *   partial round adds a single constant (to the element that goes through the S-box);
 * - the last k partial rounds use sparse matrices (2t-1 non-trivial entries, as in the Poseidon
 *   paper's appendix B); the dense remainder is folded into the round before them. k is the largest
 *   count whose runtime code still fits EIP-170's 24,576 bytes (all partial rounds for small t,
 *   none for the widest states);
 * - additions are lazy (values up to 5p fit a word; MULMOD accepts any word) and the last round
 *   computes only out[0].
 * The state lives in memory (two buffers of t words); the dense MDS mix is one subroutine.
 */

const P = FIELD_ORDER;
const N_ROUNDS_F = 8;
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68] as const;
/** EIP-170 limit on deployed code. */
const MAX_RUNTIME_SIZE = 24_576;
/** Largest u with u * (p - 1) < 2^256: lazily added terms stay within a word. */
const MAX_UNITS = 5;

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

const mod = (a: bigint): bigint => {
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

const at = <T>(a: readonly T[], i: number): T => {
  const v = a[i];
  if (v === undefined) throw new Error(`poseidonContract: index ${i} out of range`);
  return v;
};

// --- the rewritten permutation ---------------------------------------------------------------

type Sparse = { a: bigint; v: bigint[]; w: bigint[] };

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

function params(t: number): Params {
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
function growSparse(p: Params): void {
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

// --- assembler -------------------------------------------------------------------------------

const OP = {
  ADD: 0x01,
  MOD: 0x06,
  ADDMOD: 0x08,
  MULMOD: 0x09,
  GT: 0x11,
  EQ: 0x14,
  AND: 0x16,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CODECOPY: 0x39,
  POP: 0x50,
  MLOAD: 0x51,
  MSTORE: 0x52,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  RETURN: 0xf3,
  REVERT: 0xfd,
} as const;

/** Stack effect (pushed minus popped) of the opcodes above. */
const EFFECT: Record<number, number> = {
  [OP.ADD]: -1,
  [OP.MOD]: -1,
  [OP.ADDMOD]: -2,
  [OP.MULMOD]: -2,
  [OP.GT]: -1,
  [OP.EQ]: -1,
  [OP.AND]: -1,
  [OP.CALLDATALOAD]: 0,
  [OP.CALLDATASIZE]: 1,
  [OP.CODECOPY]: -3,
  [OP.POP]: -1,
  [OP.MLOAD]: 0,
  [OP.MSTORE]: -2,
  [OP.JUMP]: -1,
  [OP.JUMPI]: -2,
  [OP.JUMPDEST]: 0,
  [OP.RETURN]: -2,
  [OP.REVERT]: -2,
};

/** A tiny assembler that tracks the stack height; q (= p) is kept at the bottom of the stack. */
class Asm {
  readonly code: number[] = [];
  /** Stack height; the modulus q sits at height 1. */
  h = 0;
  private readonly labels = new Map<string, number>();
  private readonly fixups: { pos: number; label: string }[] = [];

  op(code: number): void {
    this.code.push(code);
    const effect = EFFECT[code];
    if (effect === undefined) throw new Error(`poseidonContract: unknown opcode ${code}`);
    this.h += effect;
  }

  push(value: bigint | number): void {
    let v = BigInt(value);
    if (v < 0n || v >= 1n << 256n) throw new Error("poseidonContract: push out of range");
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    this.code.push(0x5f + bytes.length, ...bytes);
    this.h += 1;
  }

  pushLabel(label: string): void {
    this.code.push(0x61, 0, 0);
    this.fixups.push({ pos: this.code.length - 2, label });
    this.h += 1;
  }

  label(label: string, height: number): void {
    this.labels.set(label, this.code.length);
    this.code.push(OP.JUMPDEST);
    this.h = height;
  }

  dup(n: number): void {
    if (n < 1 || n > 16 || n > this.h) throw new Error(`poseidonContract: DUP${n} at height ${this.h}`);
    this.code.push(0x7f + n);
    this.h += 1;
  }

  swap1(): void {
    this.code.push(0x90);
  }

  /** DUP of the modulus at the bottom of the stack. */
  dupQ(): void {
    this.dup(this.h);
  }

  /** DUP of the item at the given height (1 = bottom). */
  dupAt(height: number): void {
    this.dup(this.h - height + 1);
  }

  assemble(): number[] {
    for (const { pos, label } of this.fixups) {
      const target = this.labels.get(label);
      if (target === undefined) throw new Error(`poseidonContract: undefined label ${label}`);
      this.code[pos] = target >> 8;
      this.code[pos + 1] = target & 0xff;
    }
    return this.code;
  }
}

// --- code generation -------------------------------------------------------------------------

/** Where a state element lives: its memory address and a bound on its value (units of p - 1). */
type Slot = { addr: number; units: number };

/** A term of a linear combination: coefficient times a memory word or the item at a stack height. */
type Term = { coef: bigint; mem?: Slot; stackHeight?: number };

/** Pushes coef·x (mod q unless coef = 1); returns its bound in units. */
function emitTerm(a: Asm, term: Term): number {
  const load = (): void => {
    if (term.mem) {
      a.push(term.mem.addr);
      a.op(OP.MLOAD);
    } else a.dupAt(term.stackHeight as number);
  };
  if (term.coef === 1n) {
    load();
    return term.mem ? term.mem.units : 1;
  }
  a.dupQ();
  load();
  a.push(term.coef);
  a.op(OP.MULMOD);
  return 1;
}

/**
 * Pushes Σ coef·x with lazy reduction: terms are ADDed while the bound stays below 2^256; past that
 * a chunk of terms is summed on top and folded in with ADDMOD, whose q copies are pushed up front.
 * Returns the bound of the result in units.
 */
function emitLinear(a: Asm, terms: Term[]): number {
  const live = terms.filter((x) => x.coef !== 0n);
  if (live.length === 0) {
    a.push(0);
    return 1;
  }
  const units = live.map((x) => (x.coef === 1n && x.mem ? x.mem.units : 1));
  // Plan: ops[i] for i >= 1 is "add" or "chunk-start"/"chunk-add"/"chunk-end".
  type Step = { kind: "add" | "chunkStart" | "chunkAdd"; close: boolean };
  const steps: Step[] = [];
  let acc = at(units, 0);
  let addmods = 0;
  for (let i = 1; i < live.length; ) {
    const u = at(units, i);
    if (acc + u <= MAX_UNITS) {
      steps.push({ kind: "add", close: false });
      acc += u;
      i++;
      continue;
    }
    let s = u;
    steps.push({ kind: "chunkStart", close: false });
    i++;
    while (i < live.length && s + at(units, i) <= MAX_UNITS) {
      steps.push({ kind: "chunkAdd", close: false });
      s += at(units, i);
      i++;
    }
    at(steps, steps.length - 1).close = true;
    addmods++;
    acc = 1;
  }
  for (let k = 0; k < addmods; k++) a.dupQ();
  emitTerm(a, at(live, 0));
  steps.forEach((step, k) => {
    emitTerm(a, at(live, k + 1));
    if (step.kind !== "chunkStart") a.op(OP.ADD);
    if (step.close) a.op(OP.ADDMOD);
  });
  return acc;
}

/** On [.., qcopy, x]: x ← x^5 mod q (consumes qcopy). */
function emitSbox(a: Asm): void {
  a.dupQ();
  a.dup(1);
  a.dup(3);
  a.dup(1);
  a.op(OP.MULMOD);
  a.dup(1);
  a.op(OP.MULMOD);
  a.op(OP.MULMOD);
}

/** On [.., x] with bound `units`: x ← x + c; returns the new bound. */
function emitAddConst(a: Asm, c: bigint, units: number): number {
  if (c === 0n) return units;
  if (units + 1 <= MAX_UNITS) {
    a.push(c);
    a.op(OP.ADD);
    return units + 1;
  }
  a.dupQ();
  a.swap1();
  a.push(c);
  a.op(OP.ADDMOD);
  return 1;
}

function generateRuntime(t: number, k: number): number[] {
  const p = params(t);
  while (p.sparse.length < k) growSparse(p);
  const nRounds = N_ROUNDS_F + p.nRoundsP;
  const firstPartial = N_ROUNDS_F / 2;
  const firstSparse = firstPartial + p.nRoundsP - k;
  const lastRound = nRounds - 1;
  const bufA = (j: number): number => 32 * j;
  const bufB = (j: number): number => 32 * (t + j);
  const a = new Asm();

  // Calldata checks: length 32·t and every word < q.
  a.push(P);
  for (let j = 0; j < t; j++) {
    a.push(32 * j);
    a.op(OP.CALLDATALOAD);
    a.dupQ();
    a.op(OP.GT);
    if (j > 0) a.op(OP.AND);
  }
  a.op(OP.CALLDATASIZE);
  a.push(32 * t);
  a.op(OP.EQ);
  a.op(OP.AND);
  a.pushLabel("ok");
  a.op(OP.JUMPI);
  a.push(0);
  a.dup(1);
  a.op(OP.REVERT);
  a.label("ok", 1);

  const state: Slot[] = [];
  for (let j = 0; j < t; j++) state.push({ addr: -1, units: 1 });

  /** Element j: load (calldata in round 0), add c, S-box if asked, store at dest. */
  const elementwise = (j: number, r: number, c: bigint, sbox: boolean, dest: number): void => {
    if (sbox) a.dupQ();
    let units: number;
    if (r === 0) {
      a.push(32 * j);
      a.op(OP.CALLDATALOAD);
      units = 1;
    } else {
      const s = at(state, j);
      a.push(s.addr);
      a.op(OP.MLOAD);
      units = s.units;
    }
    units = emitAddConst(a, c, units);
    if (sbox) {
      emitSbox(a);
      units = 1;
    }
    a.push(dest);
    a.op(OP.MSTORE);
    state[j] = { addr: dest, units };
  };

  /** A dense mix from buffer A into buffer B (rows = which outputs to compute). */
  const denseRows = (m: bigint[][], rows: number, inputs: Slot[]): number[] => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      const units = emitLinear(
        a,
        inputs.map((s, j) => ({ coef: at(at(m, i), j), mem: s })),
      );
      if (rows > 1) {
        a.push(bufB(i));
        a.op(OP.MSTORE);
      }
      out.push(units);
    }
    return out;
  };

  // The dense M subroutine's output bounds do not depend on its inputs (every term is a MULMOD
  // unless M has 1 entries, which circomlib's does not); compute them from a dry run.
  const inputsA = (): Slot[] => state.map((_, j) => ({ addr: bufA(j), units: MAX_UNITS }));
  let usesPmix = false;
  const callMix = (r: number): void => {
    a.pushLabel(`ret${r}`);
    a.pushLabel(usesPmix ? "pmix" : "mix");
    a.op(OP.JUMP);
    a.label(`ret${r}`, 1);
  };
  let mixUnits: number[] = [];

  for (let r = 0; r < nRounds; r++) {
    const full = r < firstPartial || r >= firstPartial + p.nRoundsP;
    const c = at(p.c, r);
    if (r >= firstSparse && !full) {
      // Sparse round, in place: x0' = (x0 + c0)^5; x0 ← a·x0' + Σ v_j x_j; x_j ← x_j + w_j·x0'.
      const sp = at(p.sparse, nRounds - N_ROUNDS_F / 2 - 1 - r);
      const s0 = at(state, 0);
      a.dupQ();
      a.push(s0.addr);
      a.op(OP.MLOAD);
      emitAddConst(a, at(c, 0), s0.units);
      emitSbox(a);
      const x0h = a.h;
      const units0 = emitLinear(a, [
        { coef: sp.a, stackHeight: x0h },
        ...sp.v.map((coef, j) => ({ coef, mem: at(state, j + 1) })),
      ]);
      for (let j = 1; j < t; j++) {
        const s = at(state, j);
        const w = at(sp.w, j - 1);
        if (w === 0n) continue;
        const fits = s.units + 1 <= MAX_UNITS;
        if (!fits) a.dupQ();
        emitTerm(a, { coef: w, stackHeight: x0h });
        a.push(s.addr);
        a.op(OP.MLOAD);
        a.op(fits ? OP.ADD : OP.ADDMOD);
        a.push(s.addr);
        a.op(OP.MSTORE);
        state[j] = { addr: s.addr, units: fits ? s.units + 1 : 1 };
      }
      a.push(s0.addr);
      a.op(OP.MSTORE);
      a.op(OP.POP);
      state[0] = { addr: s0.addr, units: units0 };
      continue;
    }
    // Dense round: element-wise into A, then mix into B. A partial round with the M mix enters
    // the subroutine at `pmix`, which first copies elements 1..t-1 from B to A.
    usesPmix = !full && r !== lastRound && !(r === firstSparse - 1 && k > 0);
    for (let j = 0; j < t; j++) {
      if (full || j === 0) elementwise(j, r, at(c, j), true, bufA(j));
      else if (usesPmix) {
        if (at(state, j).addr !== bufB(j)) throw new Error("poseidonContract: state not in B");
      } else {
        const s = at(state, j);
        if (s.addr !== bufA(j)) {
          a.push(s.addr);
          a.op(OP.MLOAD);
          a.push(bufA(j));
          a.op(OP.MSTORE);
          state[j] = { addr: bufA(j), units: s.units };
        }
      }
    }
    if (r === lastRound) {
      const units = at(denseRows(p.m, 1, inputsA()), 0);
      if (units > 1) {
        a.dupQ();
        a.swap1();
        a.op(OP.MOD);
      }
      a.push(0);
      a.op(OP.MSTORE);
      a.push(32);
      a.push(0);
      a.op(OP.RETURN);
    } else if (r === firstSparse - 1 && k > 0) {
      const units = denseRows(at(p.dense, k), t, inputsA());
      units.forEach((u, j) => {
        state[j] = { addr: bufB(j), units: u };
      });
    } else {
      callMix(r);
      if (mixUnits.length === 0) {
        // Units of M's rows, computed on a throwaway assembler.
        const dry = new Asm();
        dry.push(P);
        mixUnits = p.m.map((row) => {
          const u = emitLinear(
            dry,
            row.map((coef, j) => ({ coef, mem: { addr: bufA(j), units: MAX_UNITS } })),
          );
          dry.op(OP.POP);
          return u;
        });
      }
      mixUnits.forEach((u, j) => {
        state[j] = { addr: bufB(j), units: u };
      });
    }
  }

  // The mix subroutine: [q, ret] → [q], reads A, writes B.
  a.label("pmix", 2);
  for (let j = 1; j < t; j++) {
    a.push(bufB(j));
    a.op(OP.MLOAD);
    a.push(bufA(j));
    a.op(OP.MSTORE);
  }
  a.label("mix", 2);
  denseRows(p.m, t, inputsA());
  a.op(OP.JUMP);
  return a.assemble();
}

function initCode(runtime: number[]): Hex {
  // PUSH2 len DUP1 PUSH2 off PUSH1 0 CODECOPY PUSH1 0 RETURN <runtime>
  const n = runtime.length;
  const off = 13;
  const prefix = [
    0x61,
    n >> 8,
    n & 0xff,
    0x80,
    0x61,
    off >> 8,
    off & 0xff,
    0x60,
    0,
    OP.CODECOPY,
    0x60,
    0,
    OP.RETURN,
  ];
  const bytes = [...prefix, ...runtime];
  return `0x${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const bytecodeCache = new Map<number, Hex>();

/**
 * Deployable init code of a contract computing circomlib's PoseidonEx(nInputs, 1) out[0] for
 * 1 <= nInputs <= 16. Calldata: initialState ‖ inputs[0..nInputs-1], each a 32-byte big-endian
 * field element (exactly 32·(nInputs+1) bytes); returns out[0] as 32 bytes. Reverts on a wrong
 * calldata length or a word >= p. No function selector, no payable check.
 */
export function poseidonExBytecode(nInputs: number): Hex {
  if (!Number.isInteger(nInputs) || nInputs < 1 || nInputs > 16) {
    throw new RangeError(`poseidonExBytecode: nInputs must be 1..16, got ${nInputs}`);
  }
  const cached = bytecodeCache.get(nInputs);
  if (cached) return cached;
  const t = nInputs + 1;
  const nRoundsP = at(N_ROUNDS_P, t - 2);
  // Largest number of sparse partial rounds that fits; code grows with it.
  let best = generateRuntime(t, 0);
  if (best.length > MAX_RUNTIME_SIZE) throw new Error(`poseidonExBytecode: code too large for t=${t}`);
  for (let k = 1; k <= nRoundsP; k++) {
    const code = generateRuntime(t, k);
    if (code.length > MAX_RUNTIME_SIZE) break;
    best = code;
  }
  const hex = initCode(best);
  bytecodeCache.set(nInputs, hex);
  return hex;
}
