import type { Address, Hex } from "viem";

/** One phase-2 contribution, as its contributor signed it. */
export type CeremonyContribution = {
  /** The contributor's signing key (a verifier's operator key): who vouches for this contribution. */
  contributor: Address;
  /** snarkjs' 64-byte blake2b contribution hash, hex without 0x (what `zkey verify` prints). */
  contributionHash: string;
  /** sha256 (hex) of the zkey after this contribution: where the next contributor starts. */
  zkeySha256: string;
  /** The chain's head when the contribution was made: the closing beacon must come from a later block. */
  blockNumber: string;
  /** The contributor's signature over `contributionDigest(listingId, contributionHash, zkeySha256, blockNumber)`. */
  signature: Hex;
};

/** The random beacon that closed the ceremony: the hash of a block mined after every contribution. */
export type CeremonyBeacon = {
  blockNumber: string;
  blockHash: Hex;
  /** snarkjs beacon iterations exponent (2^n hash iterations). */
  iterationsExp: number;
  /** sha256 (hex) of the final zkey. */
  zkeySha256: string;
};

/**
 * `ceremony.json`: the phase-2 ceremony of one listing's circuit. The zkeys it names live beside
 * it as `zkeys/<sha256>.zkey`, so every step can be fetched by hash and checked.
 */
export type CeremonyTranscript = {
  version: 1;
  listingId: Hex;
  modelId: Hex;
  /** The compiled circuit (artifact key and sha256 of its r1cs), which anyone can rebuild from the ONNX file. */
  artifactKey: string;
  r1csSha256: string;
  /** The pinned phase-1 powers of tau. */
  ptauSha256: string;
  /** sha256 of the initial zkey (phase 2 before any contribution). */
  initialZkeySha256: string;
  contributions: CeremonyContribution[];
  beacon?: CeremonyBeacon | undefined;
  /** keccak256 of the final verification key (@opg/zk `vkHash`), once closed. */
  vkHash?: Hex | undefined;
};
