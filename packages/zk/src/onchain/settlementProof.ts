import { encodeAbiParameters, type Hex } from "viem";
import type { Groth16ProofPoints } from "../proof/Groth16Proof.js";
import { decodeZkProof } from "../proof/zkProofBytes.js";

/**
 * The `zkProof` argument of InferenceHub.settleWithProof for a PoseidonGroth16Adapter:
 * abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c) in the verifier's (EIP-197) order.
 * Accepts the proof points or a result's gossip proof bytes (encodeZkProof).
 */
export function settlementProof(proof: Groth16ProofPoints | Uint8Array): Hex {
  const p = proof instanceof Uint8Array ? decodeZkProof(proof).proof : proof;
  return encodeAbiParameters([{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }], [
    p.a,
    p.b,
    p.c,
  ] as never);
}
