import type { SnarkjsGroth16Proof as Groth16Proof } from "./snarkjsTypes.js";

/**
 * A Groth16 proof as integers in EIP-197 / Solidity calldata order:
 * a = [A.x, A.y], b = [[B.x.c1, B.x.c0], [B.y.c1, B.y.c0]], c = [C.x, C.y] (affine, base field).
 */
export type Groth16ProofPoints = {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
};

/** snarkjs' proof object (decimal strings, projective with z = 1) → points. */
export function fromSnarkjsProof(p: Groth16Proof): Groth16ProofPoints {
  const n = BigInt;
  return {
    a: [n(p.pi_a[0]), n(p.pi_a[1])],
    b: [
      [n(p.pi_b[0][1]), n(p.pi_b[0][0])],
      [n(p.pi_b[1][1]), n(p.pi_b[1][0])],
    ],
    c: [n(p.pi_c[0]), n(p.pi_c[1])],
  };
}

/** Points → snarkjs' proof object (for `snarkjs.groth16.verify`). */
export function toSnarkjsProof(p: Groth16ProofPoints): Groth16Proof {
  const s = (v: bigint) => v.toString();
  return {
    pi_a: [s(p.a[0]), s(p.a[1]), "1"],
    pi_b: [
      [s(p.b[0][1]), s(p.b[0][0])],
      [s(p.b[1][1]), s(p.b[1][0])],
      ["1", "0"],
    ],
    pi_c: [s(p.c[0]), s(p.c[1]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}
