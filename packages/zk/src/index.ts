/// <reference path="./types/snarkjs.d.ts" />
/// <reference path="./types/circomlibjs.d.ts" />
/// <reference path="./types/ffjavascript.d.ts" />
/**
 * @opg/zk: the runtime of ZK proof mode, what the daemons load. Artifacts (load, manifest and hash
 * checks, the devnet's example), input quantization and commitments, the worker-thread prover, the
 * batch verifier, proof bytes and their binding to a result, the ceremony transcript a key policy
 * reads. The compiler, circom, the Groth16 setup and ceremony steps and the Solidity code generation
 * are in `@opg/zk/toolchain`, which this entry never loads (test/runtimeEntry.test.ts checks it).
 */
export type { ZkResultClaim } from "./binding/bindResultProof.js";
export { bindResultProof, executorSignal, expectedPublicSignals } from "./binding/bindResultProof.js";
export { dequantizeOutputs, quantizeInputs, readZkOutputs, zkOutputs } from "./binding/zkTensors.js";
export type {
  CeremonyBeacon,
  CeremonyContribution,
  CeremonyTranscript,
} from "./ceremony/CeremonyTranscript.js";
export {
  CEREMONY_FILES,
  ceremonyZkeyPath,
  contributionDigest,
  latestZkeySha256,
  readTranscript,
} from "./ceremony/transcriptFile.js";
export type {
  QuantizationParams,
  WeightMode,
  ZkInputKind,
  ZkLayer,
  ZkModelSpec,
  ZkTensorInfo,
  ZkValue,
  ZkWindow,
} from "./compiler/ZkModelSpec.js";
export { settlementProof } from "./onchain/settlementProof.js";
export { checkArtifactHashes, loadArtifacts, loadVerifyingArtifacts } from "./pipeline/loadArtifacts.js";
export { EXAMPLE_ARTIFACTS_DIR, EXAMPLE_ONNX_PATH } from "./pipeline/paths.js";
export { ZkArtifactStore } from "./pipeline/ZkArtifactStore.js";
export type { ZkArtifactManifest, ZkArtifacts, ZkVerifyingArtifacts } from "./pipeline/ZkArtifacts.js";
export { ARTIFACT_FILES } from "./pipeline/ZkArtifacts.js";
export type { Groth16ProofPoints } from "./proof/Groth16Proof.js";
export { fromSnarkjsProof, toSnarkjsProof } from "./proof/Groth16Proof.js";
export type { Groth16VerificationKey, SnarkjsGroth16Proof } from "./proof/snarkjsTypes.js";
export { vkHash } from "./proof/vkHash.js";
export { weightsCommitmentBytes32 } from "./proof/weightsCommitment.js";
export type { ZkProofEnvelope } from "./proof/zkProofBytes.js";
export {
  BASE_FIELD_ORDER,
  decodeZkProof,
  encodeZkProof,
  MAX_ATTACHED_INPUT_BYTES,
  MAX_PUBLIC_SIGNALS,
  ZK_PROOF_VERSION,
} from "./proof/zkProofBytes.js";
export type { ProveEngine } from "./prover/proveWorker.js";
export type {
  ZkProveLabels,
  ZkProveResult,
  ZkProverDeps,
  ZkProverOptions,
  ZkProveTimings,
} from "./prover/ZkProver.js";
export { defaultZkProverOptions, ZkProver } from "./prover/ZkProver.js";
export { COMMIT_BLOCK, commitVector } from "./quant/commitVector.js";
export { FIELD_ORDER, fromField, toField } from "./quant/field.js";
export { bitLength, dequantize, inSignedRange, quantize } from "./quant/fixedPoint.js";
export { inputCommitment, PACK_BYTES, packInput } from "./quant/packInput.js";
export type { QuantizedTrace } from "./quant/runQuantized.js";
export { runQuantized } from "./quant/runQuantized.js";
export { weightVector } from "./quant/weightVector.js";
export { terminateZkEngine } from "./verifier/bn254.js";
export type { ZkBatchItem, ZkBatchResult } from "./verifier/ZkVerifier.js";
export { ZkVerifier } from "./verifier/ZkVerifier.js";
export type { ZkErrorCode } from "./ZkError.js";
export { ZkError } from "./ZkError.js";
