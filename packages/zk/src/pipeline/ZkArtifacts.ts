import type { Hex } from "viem";
import type { WeightMode, ZkModelSpec, ZkTensorInfo } from "../compiler/ZkModelSpec.js";
import type { Groth16VerificationKey } from "../proof/snarkjsTypes.js";

/** File names inside one artifact directory (`<cacheDir>/<artifactKey>/`). */
export const ARTIFACT_FILES = {
  manifest: "manifest.json",
  spec: "spec.json",
  circom: "circuit.circom",
  r1cs: "circuit.r1cs",
  wasm: "circuit.wasm",
  /** circom's generated witness calculator for circuit.wasm (CommonJS). */
  witnessCalculator: "witness_calculator.cjs",
  zkey: "circuit.zkey",
  vkey: "verification_key.json",
  solidity: "Verifier.sol",
} as const;

/** manifest.json: what was built, from what, and how big it is. */
export type ZkArtifactManifest = {
  version: 1;
  artifactKey: string;
  modelId: Hex;
  compilerVersion: string;
  scaleBits: number;
  valueBits: number;
  weightMode: WeightMode;
  /** Decimal string: the Poseidon commitment the registry stores. */
  weightsCommitment: string;
  input: ZkTensorInfo;
  output: ZkTensorInfo;
  constraints: number;
  wires: number;
  nPublic: number;
  /** The ceremony the proving key was derived from. */
  ptau: { file: string; sha256: string };
  /** sha256 of every artifact file. */
  files: Record<string, string>;
  setupSeconds: number;
  /**
   * Set when the proving and verification keys come from a listing's phase-2 ceremony (not a
   * single-party setup): the listing, its key hash and the final zkey's sha256.
   */
  ceremony?: { listingId: Hex; vkHash: Hex; transcriptHash: string } | undefined;
};

/** Everything a verifier needs: no proving material. */
export type ZkVerifyingArtifacts = {
  manifest: ZkArtifactManifest;
  spec: ZkModelSpec;
  vkey: Groth16VerificationKey;
};

/** Everything a prover needs (file paths; workers read them). */
export type ZkArtifacts = ZkVerifyingArtifacts & {
  dir: string;
  wasmPath: string;
  witnessCalculatorPath: string;
  zkeyPath: string;
  solidityPath: string;
};
