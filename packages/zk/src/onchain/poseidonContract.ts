import type { Hex } from "viem";
import { Asm, initCode, OP } from "./poseidon/evmAsm.js";
import {
  at,
  growSparse,
  MAX_RUNTIME_SIZE,
  MAX_UNITS,
  N_ROUNDS_F,
  N_ROUNDS_P,
  P,
  params,
} from "./poseidon/poseidonParams.js";

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
