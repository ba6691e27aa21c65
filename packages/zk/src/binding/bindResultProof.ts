import { decodeTensors, hashEncodedTensors, hashTensors, type TensorMap } from "@opg/protocol";
import type { Hex } from "viem";
import type { ZkVerifyingArtifacts } from "../pipeline/ZkArtifacts.js";
import type { Groth16ProofPoints } from "../proof/Groth16Proof.js";
import { decodeZkProof } from "../proof/zkProofBytes.js";
import { commitVector } from "../quant/commitVector.js";
import { inputCommitment } from "../quant/packInput.js";
import { ZkError } from "../ZkError.js";
import { quantizeInputs, readZkOutputs } from "./zkTensors.js";

/** The `executor` public signal: the executor's address as a uint160. */
export function executorSignal(executor: Hex): bigint {
  if (!/^0x[0-9a-fA-F]{40}$/.test(executor)) {
    throw new ZkError("INVALID_INPUT", `The executor must be a 20-byte address; got ${executor}.`);
  }
  return BigInt(executor);
}

/**
 * The public signals a proof about (model, input, output, executor) must have, recomputed by the
 * verifier: [weightsCommitment (from the artifact manifest / registry), Poseidon commitment of the
 * quantized input, Poseidon commitment of the quantized output, uint160 of the executor's address].
 */
export async function expectedPublicSignals(
  artifacts: ZkVerifyingArtifacts,
  inputs: TensorMap,
  outputs: TensorMap,
  executor: Hex,
): Promise<bigint[]> {
  const x = quantizeInputs(artifacts.spec, inputs);
  const y = readZkOutputs(artifacts.spec, outputs);
  return [
    BigInt(artifacts.manifest.weightsCommitment),
    await inputCommitment(artifacts.spec, x),
    await commitVector(y),
    executorSignal(executor),
  ];
}

/** What a ZK-mode result message says about itself. */
export type ZkResultClaim = {
  modelId: Hex;
  inputHash: Hex;
  /** The result's outputs (quantized, int64); checked against outputHash when given. */
  outputs: TensorMap;
  outputHash?: Hex;
  /**
   * The result's signer (`ResultMessage.executor`): the proof must name it, so that a proof seen
   * on the wire cannot be claimed by another executor.
   */
  executor: Hex;
  /** The gossip `proof` field (encodeZkProof, input attached). */
  proof: Uint8Array;
};

/**
 * Bind a result's proof to its model, input, output and executor without any pairing: decodes the
 * proof bytes, checks keccak256(attached input) = inputHash, re-derives the public signals from
 * the registered weights commitment, the quantized tensors and the executor's address, and
 * requires the carried signals to equal them. Returns the item for `ZkVerifier.verify`/`verifyBatch`. Throws ZkError
 * (BINDING_MISMATCH, INVALID_PROOF_ENCODING, INVALID_INPUT, QUANTIZATION_OVERFLOW).
 */
export async function bindResultProof(
  artifacts: ZkVerifyingArtifacts,
  claim: ZkResultClaim,
): Promise<{ proof: Groth16ProofPoints; publicSignals: bigint[] }> {
  const mismatch = (what: string) =>
    new ZkError("BINDING_MISMATCH", `ZK proof does not match the result: ${what}.`);
  if (claim.modelId.toLowerCase() !== artifacts.manifest.modelId.toLowerCase()) throw mismatch("model id");
  const env = decodeZkProof(claim.proof);
  if (!env.input) throw mismatch("the request input is not attached");
  if (hashEncodedTensors(env.input).toLowerCase() !== claim.inputHash.toLowerCase())
    throw mismatch("input hash");
  if (claim.outputHash && hashTensors(claim.outputs).toLowerCase() !== claim.outputHash.toLowerCase()) {
    throw mismatch("output hash");
  }
  let inputs: TensorMap;
  try {
    inputs = decodeTensors(env.input);
  } catch (cause) {
    throw new ZkError("INVALID_PROOF_ENCODING", "The attached input is not a canonical tensor encoding.", {
      cause,
    });
  }
  const expected = await expectedPublicSignals(artifacts, inputs, claim.outputs, claim.executor);
  if (env.publicSignals.length !== expected.length) throw mismatch("public signal count");
  const names = ["weights commitment", "input commitment", "output commitment", "executor"];
  expected.forEach((v, i) => {
    if (env.publicSignals[i] !== v) throw mismatch(names[i] ?? `public signal ${i}`);
  });
  return { proof: env.proof, publicSignals: expected };
}
