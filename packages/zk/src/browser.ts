/**
 * @opg/zk/browser: what checking a ZK result needs, without the file system, workers or circom:
 * decode a result's proof bytes, bind it to the result (input hash, Poseidon commitments of the
 * quantized input and output, executor) and convert the proof for snarkjs's `groth16.verify`.
 * Runs in browsers (the explorer page) and in Node.
 */
export { bindResultProof, expectedPublicSignals } from "./binding/bindResultProof.js";
export type { ZkVerifyingArtifacts } from "./pipeline/ZkArtifacts.js";
export type { Groth16ProofPoints } from "./proof/Groth16Proof.js";
export { toSnarkjsProof } from "./proof/Groth16Proof.js";
export type { Groth16VerificationKey } from "./proof/snarkjsTypes.js";
export { vkHash } from "./proof/vkHash.js";
export type { ZkProofEnvelope } from "./proof/zkProofBytes.js";
export { decodeZkProof } from "./proof/zkProofBytes.js";
export { ZkError } from "./ZkError.js";
