import { type BnCurve, buildBn128, type Point } from "ffjavascript";

let curvePromise: Promise<BnCurve> | undefined;

/**
 * ffjavascript's BN254 engine (WebAssembly, with its worker-thread pool): the same instance
 * snarkjs uses (ffjavascript caches it process-wide).
 */
export function getCurve(): Promise<BnCurve> {
  curvePromise ??= buildBn128();
  return curvePromise;
}

/**
 * Stop ffjavascript's BN254 worker threads (shared with snarkjs) so the process can exit: call
 * once at shutdown, after the last verification. A later verification starts them again.
 */
export async function terminateZkEngine(): Promise<void> {
  const pending = curvePromise;
  curvePromise = undefined;
  const curve = pending ? await pending : (globalThis as { curve_bn128?: BnCurve | null }).curve_bn128;
  await curve?.terminate();
}

/** BN254 parameter u (x₀): p and r are polynomials in u. */
const U = 4965661367192848881n;
/** ψ acts on G2 as multiplication by p ≡ 6u² (mod r). */
const SIX_U2 = 6n * U * U;

export type G2Check = { isInG2(b: Point): boolean };

/**
 * G2 subgroup membership by the ψ endomorphism test for BN curves: Q ∈ G2 ⇔ ψ(Q) = [6u²]Q,
 * where ψ(x, y) = (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2)), ξ = 9 + i (the twist's non-residue) and x̄ the
 * Fp2 conjugate. A 127-bit scalar multiplication instead of the 254-bit [r]Q = O test.
 */
export function buildG2Check(curve: BnCurve): G2Check {
  const F2 = curve.G2.F as unknown as {
    fromObject(a: [bigint, bigint]): Uint8Array;
    exp(a: Uint8Array, e: bigint): Uint8Array;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  };
  const F1 = curve.F1 as unknown as { neg(a: Uint8Array): Uint8Array; n8: number };
  const p = curve.q;
  const xi = F2.fromObject([9n, 1n]);
  const gx = F2.exp(xi, (p - 1n) / 3n);
  const gy = F2.exp(xi, (p - 1n) / 2n);
  const n8 = F1.n8;
  const conj = (a: Uint8Array) => {
    const out = new Uint8Array(2 * n8);
    out.set(a.subarray(0, n8), 0);
    out.set(F1.neg(a.slice(n8, 2 * n8)), n8);
    return out;
  };
  const psi = (q: Point): Point => {
    const aff = curve.G2.toAffine(q);
    const out = new Uint8Array(4 * n8);
    out.set(F2.mul(conj(aff.slice(0, 2 * n8)), gx), 0);
    out.set(F2.mul(conj(aff.slice(2 * n8, 4 * n8)), gy), 2 * n8);
    return out;
  };
  return {
    isInG2(b: Point): boolean {
      if (curve.G2.isZero(b) || !curve.G2.isValid(b)) return false;
      return curve.G2.eq(psi(b), curve.G2.timesScalar(b, SIX_U2));
    },
  };
}
