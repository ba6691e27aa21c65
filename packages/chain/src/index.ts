// Contracts

// Plumbing
export type { LogFn, Logger } from "@opg/protocol";
export { noopLogger } from "@opg/protocol";
export {
  enclaveRegistryAbi,
  inferenceConsumerAbi,
  inferenceHubAbi,
  modelRegistryAbi,
  operatorRegistryAbi,
  opgErrorsAbi,
} from "./abis.js";
export type { ContractActionsDeps } from "./actions/ContractActions.js";
export { ContractActions } from "./actions/ContractActions.js";
export { EnclaveRegistryActions } from "./actions/EnclaveRegistryActions.js";
export type {
  DeliverParams,
  InferenceHubActionsDeps,
  RequestInferenceParams,
  RequestInferenceResult,
  SettleWithProofParams,
  VerifyResultParams,
} from "./actions/InferenceHubActions.js";
export {
  callbackGasEscrow,
  InferenceHubActions,
  toInferenceRequestedEvent,
} from "./actions/InferenceHubActions.js";
export type { ListingResolverOptions } from "./actions/ListingResolver.js";
export { ListingResolver } from "./actions/ListingResolver.js";
export type { ModelRegistration } from "./actions/ModelRegistryActions.js";
export { ModelRegistryActions } from "./actions/ModelRegistryActions.js";
export type { SigningKey } from "./actions/OperatorRegistryActions.js";
export { OperatorRegistryActions } from "./actions/OperatorRegistryActions.js";
export type { OpgContractsDeps } from "./actions/OpgContracts.js";
export { OpgContracts } from "./actions/OpgContracts.js";
export type {
  BatchHeader,
  EnclaveRegistrationRecord,
  InferenceRequestedEvent,
  InferenceRequestRecord,
  ListingInfo,
  Operator,
  OperatorRoleName,
  OperatorStatusName,
  RequestStatusName,
  SignedResultFields,
  SignerInfo,
  VerifierSet,
  WriteOptions,
  ZkKeySeal,
} from "./actions/types.js";
export type { ReadCacheOptions } from "./cache/ReadCache.js";
export { ReadCache } from "./cache/ReadCache.js";
// Checkpoints
export type { CheckpointStore } from "./checkpoint/CheckpointStore.js";
export { MemoryCheckpointStore } from "./checkpoint/CheckpointStore.js";
// Clients and deployments
export type { ChainClientOptions } from "./clients/createChainClient.js";
export { createChainClient, defaultChainClientOptions, opgChain } from "./clients/createChainClient.js";
export type { OpgDeployment, RegistryParams } from "./deployments/loadDeployment.js";
export {
  checkDeployment,
  deploymentPath,
  loadDeployment,
  parseDeployment,
} from "./deployments/loadDeployment.js";
// Errors
export type { ChainErrorCode, ChainRetryableCode, RevertedErrorOptions } from "./errors/ChainError.js";
export { ChainError, ChainRetryableError, RevertedError } from "./errors/ChainError.js";
export type { ClassifyOptions } from "./errors/classifyError.js";
export { classifyError, isRetryable } from "./errors/classifyError.js";
export type { BackoffOptions } from "./retry/backoff.js";
export { backoffDelay, defaultBackoffOptions } from "./retry/backoff.js";
export { sleep } from "./retry/sleep.js";
export type { RetryOptions, WithRetryContext } from "./retry/withRetry.js";
export { withRetry } from "./retry/withRetry.js";
// Transactions
export type { TxFees } from "./tx/fees.js";
export { bumpFees, bumpValue, capFees, isValidReplacement } from "./tx/fees.js";
export type {
  TxRequest,
  TxResult,
  TxSenderDeps,
  TxSenderMetrics,
  TxSenderOptions,
  WriteContractRequest,
} from "./tx/TxSender.js";
export { defaultTxSenderOptions, TxSender } from "./tx/TxSender.js";
// Event watching
export type {
  BatchSettledWatcherDeps,
  BatchSettledWatcherOptions,
  SettledBatchEvent,
} from "./watch/BatchSettledWatcher.js";
export { BatchSettledWatcher } from "./watch/BatchSettledWatcher.js";
export type {
  InferenceRequestWatcherDeps,
  InferenceRequestWatcherOptions,
} from "./watch/InferenceRequestWatcher.js";
export {
  defaultInferenceRequestWatcherOptions,
  InferenceRequestWatcher,
} from "./watch/InferenceRequestWatcher.js";
export type {
  LogWatcherDeps,
  LogWatcherMetrics,
  LogWatcherOptions,
  LogWatcherStatus,
  WatchedLog,
} from "./watch/LogWatcher.js";
export { defaultLogWatcherOptions, LogWatcher } from "./watch/LogWatcher.js";
