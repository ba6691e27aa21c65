import { type Hex, numberToHex } from "viem";

/** A weights commitment (decimal string or bigint, < p) as the registry's bytes32. */
export function weightsCommitmentBytes32(commitment: string | bigint): Hex {
  return numberToHex(BigInt(commitment), { size: 32 });
}
