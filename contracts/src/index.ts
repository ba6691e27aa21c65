/**
 * @opg/contracts: ABIs (`as const`), creation bytecode, deployment and small helpers for the opg contracts.
 * File-system helpers live in `@opg/contracts/node`.
 */
export {
  enclaveRegistryAbi,
  exampleClassifierConsumerAbi,
  inferenceConsumerAbi,
  inferenceHubAbi,
  keccakGroth16AdapterAbi,
  mockConsumerAbi,
  mockGroth16VerifierAbi,
  mockZkVerifierAbi,
  modelRegistryAbi,
  operatorRegistryAbi,
  poseidonGroth16AdapterAbi,
  zkVerifierAbi,
} from "../generated/abis/index.js";
export {
  enclaveRegistryBytecode,
  exampleClassifierConsumerBytecode,
  inferenceHubBytecode,
  keccakGroth16AdapterBytecode,
  mockConsumerBytecode,
  mockGroth16VerifierBytecode,
  mockZkVerifierBytecode,
  modelRegistryBytecode,
  operatorRegistryBytecode,
  poseidonGroth16AdapterBytecode,
} from "../generated/bytecode/index.js";
export {
  HUB_LIMITS,
  listingIdOf,
  MAX_VERIFIERS,
  modeMask,
  OperatorRole,
  OperatorStatus,
  ProofMode,
  RequestStatus,
} from "./constants.js";
export {
  DEFAULT_REGISTRY_PARAMS,
  type DeployerClient,
  type DeployOpgOptions,
  deployOpg,
  type ModelSetup,
  type OperatorSetup,
} from "./deploy.js";
export {
  deploymentFromJson,
  deploymentToJson,
  type OpgDeployment,
  type OpgDeploymentJson,
  type RegistryParams,
} from "./deployment.js";
export {
  operatorRegistryDomain,
  type SignerBindingParams,
  signerBindingTypes,
  signSignerBinding,
} from "./signerBinding.js";
