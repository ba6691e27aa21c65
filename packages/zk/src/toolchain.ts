/// <reference path="./types/snarkjs.d.ts" />
/// <reference path="./types/circomlibjs.d.ts" />
/// <reference path="./types/ffjavascript.d.ts" />
/**
 * @opg/zk/toolchain: what makes ZK artifacts, for CLI commands, the devnets, tests and benches (the
 * daemons never load it; the runtime is `@opg/zk`). ONNX → circom compiler and its constraint
 * report, circom 2 (WebAssembly), the Groth16 setup and the development powers of tau, the phase-2
 * ceremony's steps, and the Solidity verifier and adapter: code generation, solc, deployment.
 */
export type {
  CeremonyCheck,
  CeremonySigner,
  CloseCeremonyOptions,
  ContributeOptions,
  StartCeremonyOptions,
  VerifyCeremonyOptions,
} from "./ceremony/ceremony.js";
export {
  ceremonyRefusal,
  closeCeremony,
  contribute,
  installCeremonyArtifacts,
  startCeremony,
  verifyCeremony,
  verifyZkey,
} from "./ceremony/ceremony.js";
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
export type { DeployContract, ZkContracts } from "./onchain/deployZkContracts.js";
export { deployZkContracts, hasherWidths, tensorHeader } from "./onchain/deployZkContracts.js";
export { poseidonExBytecode } from "./onchain/poseidonContract.js";
export type { OnnxAttribute, OnnxConstant, OnnxGraph, OnnxNode, OnnxValueInfo } from "./onnx/OnnxGraph.js";
export { parseOnnxModel } from "./onnx/parseOnnxModel.js";
export type { MlpLayer, OnnxInitializer, OnnxModelDef, OnnxNodeDef } from "./onnx/writeOnnxModel.js";
export { writeMlpOnnx, writeOnnxModel } from "./onnx/writeOnnxModel.js";
export type { BuildArtifactsOptions } from "./pipeline/buildArtifacts.js";
export { buildArtifacts, sha256File } from "./pipeline/buildArtifacts.js";
export { buildZkModel } from "./pipeline/buildZkModel.js";
export { generateDevPtau } from "./pipeline/generateDevPtau.js";
export type { CircomResult } from "./pipeline/runCircom.js";
export { runCircom } from "./pipeline/runCircom.js";
export {
  CIRCUITS_DIR,
  DEV_PTAU_PATH,
  groth16VerifierTemplatePath,
  TEMPLATES_DIR,
} from "./pipeline/toolPaths.js";
export { compileVerifierSolidity } from "./proof/compileVerifier.js";
export type { VerifierCalldata } from "./proof/solidity.js";
export {
  encodeVerifyProofCall,
  groth16VerifierAbi,
  SOLIDITY_VERIFIER_CONTRACT,
  verifierCalldata,
  verifierSolidity,
} from "./proof/solidity.js";
