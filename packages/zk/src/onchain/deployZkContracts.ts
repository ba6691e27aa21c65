import { readFile } from "node:fs/promises";
import { poseidonGroth16AdapterAbi, poseidonGroth16AdapterBytecode } from "@opg/contracts";
import { encodeTensors, type Tensor } from "@opg/protocol";
import { type Address, bytesToHex, encodeDeployData, type Hex } from "viem";
import type { ZkTensorInfo } from "../compiler/ZkModelSpec.js";
import type { ZkArtifacts } from "../pipeline/ZkArtifacts.js";
import { compileVerifierSolidity } from "../proof/compileVerifier.js";
import { vkHash } from "../proof/vkHash.js";
import { weightsCommitmentBytes32 } from "../proof/weightsCommitment.js";
import { COMMIT_BLOCK } from "../quant/commitVector.js";
import { PACK_BYTES } from "../quant/packInput.js";
import { poseidonExBytecode } from "./poseidonContract.js";

/** Sends a contract creation transaction with this init code; resolves to the new contract's address. */
export type DeployContract = (initCode: Hex, label: string) => Promise<Address>;

/** What a ZK model needs on chain; `adapter` is the `zkVerifier` the ModelRegistry stores. */
export type ZkContracts = {
  /** The PoseidonGroth16Adapter (IZkVerifier) of the model. */
  adapter: Address;
  /** The snarkjs Groth16 verifier of the model's circuit. */
  groth16Verifier: Address;
  /** PoseidonEx(n) hashers by block size n. */
  hashers: Record<number, Address>;
  /** The weights commitment as the registry's bytes32. */
  weightsCommitment: Hex;
  /** The verification key hash the adapter reports (and a listing declares). */
  vkHash: Hex;
};

/**
 * The canonical encoding of a tensor of this shape up to its first element (version, count, name,
 * dtype, rank, dims): what every request input / ZK output of the model starts with.
 */
export function tensorHeader(info: ZkTensorInfo, dtype: "float32" | "uint8" | "int64"): Hex {
  const tensor = (
    dtype === "float32"
      ? { dtype, dims: [...info.dims], data: new Float32Array(info.size) }
      : dtype === "uint8"
        ? { dtype, dims: [...info.dims], data: new Uint8Array(info.size) }
        : { dtype, dims: [...info.dims], data: new BigInt64Array(info.size) }
  ) as Tensor;
  const bytes = encodeTensors({ [info.name]: tensor });
  return bytesToHex(bytes.subarray(0, bytes.length - tensor.data.byteLength));
}

/** Block sizes of the PoseidonEx calls that VectorCommit makes for vectors of these lengths. */
export function hasherWidths(...sizes: number[]): number[] {
  const widths = new Set<number>();
  for (const n of sizes) {
    if (n >= COMMIT_BLOCK) widths.add(COMMIT_BLOCK);
    if (n % COMMIT_BLOCK !== 0) widths.add(n % COMMIT_BLOCK);
  }
  return [...widths].sort((a, b) => a - b);
}

/**
 * Deploys what settles a ZK model's results on chain (InferenceHub.settleWithProof): the model's
 * generated Groth16 verifier (compiled here with the contracts' solc), the Poseidon hashers its
 * commitments need and a PoseidonGroth16Adapter in front of them. `deploy` sends each creation
 * transaction (TxSender, a test chain's helper, …). Registering `adapter` and `weightsCommitment`
 * in the ModelRegistry is left to the caller (it needs the model owner's account).
 */
export async function deployZkContracts(
  artifacts: ZkArtifacts,
  deploy: DeployContract,
): Promise<ZkContracts> {
  const { spec, manifest } = artifacts;
  const { bytecode } = compileVerifierSolidity(await readFile(artifacts.solidityPath, "utf8"));
  const groth16Verifier = await deploy(bytecode, "Groth16Verifier");
  const hashers: Record<number, Address> = {};
  const uint8 = spec.input.kind === "uint8";
  const committed = uint8 ? Math.ceil(spec.input.size / PACK_BYTES) : spec.input.size;
  for (const n of hasherWidths(committed, spec.output.size)) {
    hashers[n] = await deploy(poseidonExBytecode(n), `PoseidonEx(${n})`);
  }
  const zero = "0x0000000000000000000000000000000000000000";
  const tail = (size: number): Address => (size % COMMIT_BLOCK === 0 ? zero : hashers[size % COMMIT_BLOCK]!);
  const initCode = encodeDeployData({
    abi: poseidonGroth16AdapterAbi,
    bytecode: poseidonGroth16AdapterBytecode,
    args: [
      {
        modelId: manifest.modelId,
        groth16Verifier,
        verificationKeyHash: vkHash(artifacts.vkey),
        inputHeader: tensorHeader(spec.input, uint8 ? "uint8" : "float32"),
        inputSize: spec.input.size,
        outputHeader: tensorHeader(spec.output, "int64"),
        outputSize: spec.output.size,
        scaleBits: spec.scaleBits,
        valueBits: spec.valueBits,
        fullBlockHasher: hashers[COMMIT_BLOCK] ?? zero,
        inputTailHasher: tail(committed),
        outputTailHasher: tail(spec.output.size),
      },
    ],
  });
  const adapter = await deploy(initCode, "PoseidonGroth16Adapter");
  return {
    adapter,
    groth16Verifier,
    hashers,
    weightsCommitment: weightsCommitmentBytes32(manifest.weightsCommitment),
    vkHash: vkHash(artifacts.vkey),
  };
}
