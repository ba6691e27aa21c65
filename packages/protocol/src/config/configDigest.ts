import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";

/** Identifies a verifier set (docs/protocol.md); the OperatorRegistry computes the same. */
export type VerifierConfig = {
  chainId: number | bigint;
  /** The OperatorRegistry's address. */
  registry: Address;
  configCount: bigint;
  signers: readonly Address[];
  /** Faults tolerated: a batch needs f + 1 signatures. */
  f: number;
};

/** `keccak256(abi.encode(chainId, registry, configCount, signers, f))`. */
export function configDigest(c: VerifierConfig): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "address" },
        { type: "uint64" },
        { type: "address[]" },
        { type: "uint8" },
      ],
      [BigInt(c.chainId), c.registry, c.configCount, c.signers, c.f],
    ),
  );
}
