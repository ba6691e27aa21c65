import { encodeAbiParameters, type Hex, keccak256 } from "viem";
import type { Groth16VerificationKey } from "./snarkjsTypes.js";

type G2 = readonly [readonly [bigint, bigint], readonly [bigint, bigint]];

const g1 = (p: readonly string[]): readonly [bigint, bigint] => [BigInt(p[0]!), BigInt(p[1]!)];
// EIP-197 order: (x1, x0), (y1, y0) — the order the generated Solidity verifier uses.
const g2 = (p: readonly (readonly string[])[]): G2 => [
  [BigInt(p[0]![1]!), BigInt(p[0]![0]!)],
  [BigInt(p[1]![1]!), BigInt(p[1]![0]!)],
];

/**
 * The hash a listing declares and f + 1 verifiers seal for a Groth16 verification key
 * (IZkVerifier.verificationKeyHash): `keccak256(abi.encode(alpha1, beta2, gamma2, delta2, IC))`
 * with G1 points as uint256[2] and G2 points as uint256[2][2] in the EIP-197 order. It depends on
 * the key's points only, not on how the JSON is formatted.
 */
export function vkHash(vkey: Groth16VerificationKey): Hex {
  if (vkey.protocol !== "groth16" || vkey.IC.length !== vkey.nPublic + 1) {
    throw new Error("Not a Groth16 verification key (protocol or IC length).");
  }
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256[2]" },
        { type: "uint256[2][2]" },
        { type: "uint256[2][2]" },
        { type: "uint256[2][2]" },
        { type: "uint256[2][]" },
      ],
      [g1(vkey.vk_alpha_1), g2(vkey.vk_beta_2), g2(vkey.vk_gamma_2), g2(vkey.vk_delta_2), vkey.IC.map(g1)],
    ),
  );
}
