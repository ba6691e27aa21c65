import { randomBytes } from "node:crypto";
import type { BnCurve, Point, ThreadTask } from "ffjavascript";
import type { Groth16ProofPoints } from "../proof/Groth16Proof.js";
import type { Groth16VerificationKey } from "../proof/snarkjsTypes.js";
import { buildG2Check, type G2Check, getCurve } from "./bn254.js";

/** One proof to check against the verifier's key. */
export type ZkBatchItem = {
  proof: Groth16ProofPoints;
  publicSignals: readonly bigint[];
};

export type ZkBatchResult = {
  /** True when every proof of the batch is valid. */
  valid: boolean;
  /** Indices (into the input array) of the invalid proofs, ascending. */
  invalid: number[];
  /** Final exponentiations spent (1 for an all-valid batch). */
  finalExponentiations: number;
};

type Prepared = {
  index: number;
  a: Point;
  b: Point;
  c: Point;
  pub: bigint[];
  r: bigint;
  /** Miller loop value of e(r·A, B), before the final exponentiation. */
  f?: Uint8Array;
};

const PAIRS_PER_TASK = 8;

function leScalars(values: readonly bigint[], n8: number): Uint8Array {
  const out = new Uint8Array(values.length * n8);
  values.forEach((v, i) => {
    let x = v;
    for (let k = 0; k < n8; k++) {
      out[i * n8 + k] = Number(x & 0xffn);
      x >>= 8n;
    }
  });
  return out;
}

/**
 * Groth16 verification for one verification key, single or in batches.
 *
 * A proof (A, B, C) with public inputs x is valid when e(A,B) = e(α,β)·e(vk_x,γ)·e(C,δ), with
 * vk_x = IC₀ + Σ xⱼ·ICⱼ. A batch draws independent random 128-bit rᵢ and checks
 *
 *   Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(−(Σrᵢ)·α, β) · e(−Σrᵢ·vk_xᵢ, γ) · e(−Σrᵢ·Cᵢ, δ) = 1
 *
 * with n + 3 Miller loops (the per-proof ones spread over ffjavascript's worker threads) and ONE
 * final exponentiation; Σrᵢ·vk_xᵢ = (Σrᵢ)·IC₀ + Σⱼ(Σᵢ rᵢxᵢⱼ)·ICⱼ is one small multi-exponentiation.
 * A false batch passes with probability ≤ 2⁻¹²⁸. When the batch fails, the per-proof Miller loop
 * values are reused to bisect: each sub-batch costs 3 Miller loops and one final exponentiation,
 * so one bad proof among n is found in about 2·log₂(n) checks.
 *
 * Every proof point is checked first: on the curve, not infinity, B in the order-r subgroup
 * (ψ test); public signals < r and as many as the key expects. Such malformed proofs are reported
 * invalid without entering the batch.
 */
export class ZkVerifier {
  private constructor(
    private readonly curve: BnCurve,
    private readonly g2: G2Check,
    private readonly nPublic: number,
    private readonly alpha: Point,
    private readonly icAffine: Uint8Array,
    private readonly preBeta: Uint8Array,
    private readonly preGamma: Uint8Array,
    private readonly preDelta: Uint8Array,
  ) {}

  /** Prepare a verifier for a snarkjs verification key (Groth16, BN254). */
  static async create(vkey: Groth16VerificationKey): Promise<ZkVerifier> {
    if (vkey.protocol !== "groth16") throw new TypeError(`Not a Groth16 key (${vkey.protocol}).`);
    const curve = await getCurve();
    const { G1, G2 } = curve;
    const g1 = (p: string[]) => G1.fromObject(p.map(BigInt));
    const g2 = (p: string[][]) => G2.fromObject(p.map((c) => c.map(BigInt)));
    const ic = vkey.IC.map(g1);
    const icAffine = new Uint8Array(ic.length * G1.F.n8 * 2);
    ic.forEach((p, i) => {
      icAffine.set(G1.toAffine(p), i * G1.F.n8 * 2);
    });
    const prep = (p: string[][]) => curve.prepareG2(G2.toJacobian(g2(p)));
    return new ZkVerifier(
      curve,
      buildG2Check(curve),
      vkey.nPublic,
      g1(vkey.vk_alpha_1),
      icAffine,
      prep(vkey.vk_beta_2),
      prep(vkey.vk_gamma_2),
      prep(vkey.vk_delta_2),
    );
  }

  /** Verify one proof (the batch equation with a single random multiplier). */
  async verify(proof: Groth16ProofPoints, publicSignals: readonly bigint[]): Promise<boolean> {
    return (await this.verifyBatch([{ proof, publicSignals }])).valid;
  }

  /** Verify many proofs at once; identifies every invalid one. */
  async verifyBatch(items: readonly ZkBatchItem[]): Promise<ZkBatchResult> {
    const invalid: number[] = [];
    const candidates: Prepared[] = [];
    items.forEach((item, index) => {
      const p = this.parse(item, index);
      if (p) candidates.push(p);
      else invalid.push(index);
    });
    let finalExponentiations = 0;
    if (candidates.length > 0) {
      await this.millerLoops(candidates);
      const check = (set: Prepared[]) => {
        finalExponentiations++;
        return this.check(set);
      };
      // Bisection: `known` is true when the caller already knows `set` fails.
      const find = async (set: Prepared[], known: boolean): Promise<void> => {
        if (!known && (await check(set))) return;
        if (set.length === 1) {
          invalid.push(set[0]!.index);
          return;
        }
        const left = set.slice(0, set.length >> 1);
        const right = set.slice(set.length >> 1);
        const leftOk = await check(left);
        if (!leftOk) await find(left, true);
        // With the same rᵢ the equation is multiplicative: left ok ⇒ right fails.
        await find(right, leftOk);
      };
      await find(candidates, false);
    }
    invalid.sort((a, b) => a - b);
    return { valid: invalid.length === 0, invalid, finalExponentiations };
  }

  /** Decode and validate one item; undefined when malformed. */
  private parse(item: ZkBatchItem, index: number): Prepared | undefined {
    const { G1, G2 } = this.curve;
    if (item.publicSignals.length !== this.nPublic) return undefined;
    if (item.publicSignals.some((s) => s < 0n || s >= this.curve.r)) return undefined;
    const { a, b, c } = item.proof;
    const q = this.curve.q;
    const coords = [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]];
    if (coords.some((v) => v < 0n || v >= q)) return undefined;
    // (0, 0) encodes infinity on chain; no honest proof has an infinite A, B or C.
    if ((a[0] === 0n && a[1] === 0n) || (c[0] === 0n && c[1] === 0n)) return undefined;
    if (b.every((pair) => pair[0] === 0n && pair[1] === 0n)) return undefined;
    const A = G1.fromObject([a[0], a[1]]);
    const C = G1.fromObject([c[0], c[1]]);
    const B = G2.fromObject([
      [b[0][1], b[0][0]],
      [b[1][1], b[1][0]],
    ]);
    if (!G1.isValid(A) || !G1.isValid(C) || !this.g2.isInG2(B)) return undefined;
    let r = 0n;
    while (r === 0n) r = BigInt(`0x${randomBytes(16).toString("hex")}`);
    return { index, a: A, b: B, c: C, pub: [...item.publicSignals], r };
  }

  /** f_i = MillerLoop(rᵢ·Aᵢ, Bᵢ) for every candidate, on ffjavascript's worker threads. */
  private async millerLoops(set: Prepared[]): Promise<void> {
    const { curve } = this;
    const { G1, G2 } = curve;
    const name = curve.name;
    const tasks: Promise<Uint8Array[]>[] = [];
    for (let k = 0; k < set.length; k += PAIRS_PER_TASK) {
      const chunk = set.slice(k, k + PAIRS_PER_TASK);
      const task: ThreadTask = [];
      chunk.forEach((p, j) => {
        const v = j * 5;
        task.push(
          { cmd: "ALLOCSET", var: v, buff: G1.toJacobian(G1.timesScalar(p.a, p.r)) },
          { cmd: "ALLOC", var: v + 1, len: curve.prePSize },
          { cmd: "ALLOCSET", var: v + 2, buff: G2.toJacobian(p.b) },
          { cmd: "ALLOC", var: v + 3, len: curve.preQSize },
          { cmd: "ALLOC", var: v + 4, len: curve.Gt.n8 },
          { cmd: "CALL", fnName: `${name}_prepareG1`, params: [{ var: v }, { var: v + 1 }] },
          { cmd: "CALL", fnName: `${name}_prepareG2`, params: [{ var: v + 2 }, { var: v + 3 }] },
          {
            cmd: "CALL",
            fnName: `${name}_millerLoop`,
            params: [{ var: v + 1 }, { var: v + 3 }, { var: v + 4 }],
          },
          { cmd: "GET", out: j, var: v + 4, len: curve.Gt.n8 },
        );
      });
      tasks.push(curve.tm.queueAction(task));
    }
    const results = await Promise.all(tasks);
    results.forEach((res, t) => {
      res.forEach((f, j) => {
        set[t * PAIRS_PER_TASK + j]!.f = f;
      });
    });
  }

  /** The batch equation over `set` (Miller values already computed): one final exponentiation. */
  private async check(set: Prepared[]): Promise<boolean> {
    const { curve } = this;
    const { G1, Gt } = curve;
    const r = curve.r;
    let s = 0n;
    const t = new Array<bigint>(this.nPublic).fill(0n);
    for (const p of set) {
      s += p.r;
      p.pub.forEach((x, j) => {
        t[j] = t[j]! + p.r * x;
      });
    }
    s %= r;
    const vkx = await this.msm(this.icAffine, [s, ...t.map((v) => v % r)]);
    const cAff = new Uint8Array(set.length * G1.F.n8 * 2);
    set.forEach((p, i) => {
      cAff.set(G1.toAffine(p.c), i * G1.F.n8 * 2);
    });
    const cSum = await this.msm(
      cAff,
      set.map((p) => p.r),
    );
    // The three fixed-G2 Miller loops run on ffjavascript's threads, in parallel.
    const [fAlpha, fRest] = await Promise.all([
      this.fixedMillerLoops([[G1.neg(G1.timesScalar(this.alpha, s)), this.preBeta]]),
      this.fixedMillerLoops([
        [G1.neg(vkx), this.preGamma],
        [G1.neg(cSum), this.preDelta],
      ]),
    ]);
    let acc = Gt.mul(fAlpha, fRest);
    for (const p of set) acc = Gt.mul(acc, p.f!);
    return Gt.eq(curve.finalExponentiation(acc), Gt.one);
  }

  /** Σ scalarsᵢ·basesᵢ (affine bases): direct for a few points, ffjavascript's MSM otherwise. */
  private async msm(bases: Uint8Array, scalars: bigint[]): Promise<Point> {
    const { G1, Fr } = this.curve;
    const size = G1.F.n8 * 2;
    if (scalars.length > 8) return G1.multiExpAffine(bases, leScalars(scalars, Fr.n8));
    let acc = G1.zero;
    scalars.forEach((k, i) => {
      if (k !== 0n) acc = G1.add(acc, G1.timesScalar(bases.slice(i * size, (i + 1) * size), k));
    });
    return acc;
  }

  /** Product of Miller loops e(Pᵢ, Qᵢ) for prepared fixed Qᵢ, as one thread task. */
  private async fixedMillerLoops(pairs: [Point, Uint8Array][]): Promise<Uint8Array> {
    const { curve } = this;
    const { G1 } = curve;
    const name = curve.name;
    const task: ThreadTask = [];
    const acc = pairs.length * 4;
    task.push(
      { cmd: "ALLOC", var: acc, len: curve.Gt.n8 },
      { cmd: "CALL", fnName: "ftm_one", params: [{ var: acc }] },
    );
    pairs.forEach(([p, preQ], j) => {
      const v = j * 4;
      task.push(
        { cmd: "ALLOCSET", var: v, buff: G1.toJacobian(p) },
        { cmd: "ALLOC", var: v + 1, len: curve.prePSize },
        { cmd: "ALLOCSET", var: v + 2, buff: preQ },
        { cmd: "ALLOC", var: v + 3, len: curve.Gt.n8 },
        { cmd: "CALL", fnName: `${name}_prepareG1`, params: [{ var: v }, { var: v + 1 }] },
        {
          cmd: "CALL",
          fnName: `${name}_millerLoop`,
          params: [{ var: v + 1 }, { var: v + 2 }, { var: v + 3 }],
        },
        { cmd: "CALL", fnName: "ftm_mul", params: [{ var: acc }, { var: v + 3 }, { var: acc }] },
      );
    });
    task.push({ cmd: "GET", out: 0, var: acc, len: curve.Gt.n8 });
    const [out] = await curve.tm.queueAction(task);
    return out!;
  }
}
