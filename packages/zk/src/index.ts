/// <reference path="./types/snarkjs.d.ts" />
/// <reference path="./types/circomlibjs.d.ts" />
/// <reference path="./types/ffjavascript.d.ts" />
export type { ZkResultClaim } from "./binding/bindResultProof.js";
export { bindResultProof, executorSignal, expectedPublicSignals } from "./binding/bindResultProof.js";
export { dequantizeOutputs, quantizeInputs, readZkOutputs, zkOutputs } from "./binding/zkTensors.js";
export type {
  CeremonyBeacon,
  CeremonyContribution,
  CeremonyTranscript,
} from "./ceremony/CeremonyTranscript.js";
export type {
  CeremonyCheck,
  CeremonySigner,
  CloseCeremonyOptions,
  ContributeOptions,
  StartCeremonyOptions,
  VerifyCeremonyOptions,
} from "./ceremony/ceremony.js";
export {
  CEREMONY_FILES,
  ceremonyRefusal,
  ceremonyZkeyPath,
  closeCeremony,
  contribute,
  contributionDigest,
  installCeremonyArtifacts,
  latestZkeySha256,
  readTranscript,
  startCeremony,
  verifyCeremony,
  verifyZkey,
} from "./ceremony/ceremony.js";
export type {
  CeremonyAnnouncement,
  CeremonyRefusalReason,
} from "./ceremony/ceremonyAnnouncement.js";
export {
  announcementDigest,
  CeremonyRefusedError,
  checkAnnouncement,
  parseAnnouncement,
  signAnnouncement,
} from "./ceremony/ceremonyAnnouncement.js";
export type { FetchCeremonyOptions, FetchCeremonyResult } from "./ceremony/ceremonyFetch.js";
export { ceremonyUrls, fetchCeremony } from "./ceremony/ceremonyFetch.js";
export type { CompiledModel, CompileOptions } from "./compiler/compileModel.js";
export {
  artifactKeyFor,
  COMPILER_VERSION,
  compileModel,
  defaultCompileOptions,
} from "./compiler/compileModel.js";
export type { ConstraintRow } from "./compiler/constraintReport.js";
export {
  constraintReport,
  formatConstraintReport,
  poseidonConstraints,
  vectorCommitConstraints,
} from "./compiler/constraintReport.js";
export { CIRCUIT_TEMPLATE, emitCircom } from "./compiler/emitCircom.js";
export { lowerOnnxGraph, SUPPORTED_OPS } from "./compiler/lowerOnnxGraph.js";
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
export type { DeployContract, ZkContracts } from "./onchain/deployZkContracts.js";
export { deployZkContracts, hasherWidths, tensorHeader } from "./onchain/deployZkContracts.js";
export { poseidonExBytecode } from "./onchain/poseidonContract.js";
export { settlementProof } from "./onchain/settlementProof.js";
export type { OnnxAttribute, OnnxConstant, OnnxGraph, OnnxNode, OnnxValueInfo } from "./onnx/OnnxGraph.js";
export { parseOnnxModel } from "./onnx/parseOnnxModel.js";
export type { MlpLayer, OnnxInitializer, OnnxModelDef, OnnxNodeDef } from "./onnx/writeOnnxModel.js";
export { writeMlpOnnx, writeOnnxModel } from "./onnx/writeOnnxModel.js";
export type { BuildArtifactsOptions } from "./pipeline/buildArtifacts.js";
export { buildArtifacts, sha256File } from "./pipeline/buildArtifacts.js";
export { buildZkModel } from "./pipeline/buildZkModel.js";
export { generateDevPtau } from "./pipeline/generateDevPtau.js";
export { checkArtifactHashes, loadArtifacts, loadVerifyingArtifacts } from "./pipeline/loadArtifacts.js";
export {
  CIRCUITS_DIR,
  DEV_PTAU_PATH,
  EXAMPLE_ARTIFACTS_DIR,
  groth16VerifierTemplatePath,
  TEMPLATES_DIR,
} from "./pipeline/paths.js";
export type { CircomResult } from "./pipeline/runCircom.js";
export { runCircom } from "./pipeline/runCircom.js";
export { ZkArtifactStore } from "./pipeline/ZkArtifactStore.js";
export type { ZkArtifactManifest, ZkArtifacts, ZkVerifyingArtifacts } from "./pipeline/ZkArtifacts.js";
export { ARTIFACT_FILES } from "./pipeline/ZkArtifacts.js";
export { compileVerifierSolidity, weightsCommitmentBytes32 } from "./proof/compileVerifier.js";
export type { Groth16ProofPoints } from "./proof/Groth16Proof.js";
export { fromSnarkjsProof, toSnarkjsProof } from "./proof/Groth16Proof.js";
export type { Groth16VerificationKey, SnarkjsGroth16Proof } from "./proof/snarkjsTypes.js";
export type { VerifierCalldata } from "./proof/solidity.js";
export {
  encodeVerifyProofCall,
  groth16VerifierAbi,
  SOLIDITY_VERIFIER_CONTRACT,
  verifierCalldata,
  verifierSolidity,
} from "./proof/solidity.js";
export { vkHash } from "./proof/vkHash.js";
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
