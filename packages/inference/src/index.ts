export { batchKey, batchRows, concatBatch, splitBatch } from "./batchTensors.js";
export type {
  CounterMetric,
  GaugeMetric,
  HistogramMetric,
  InferenceMetrics,
  MetricLabels,
  MetricSpec,
} from "./deps.js";
export { noopMetrics } from "./deps.js";
export type { InferenceErrorCode, InferenceRetryableCode, InputErrorCode } from "./errors.js";
export {
  InferenceError,
  InferenceRetryableError,
  InputValidationError,
  inferenceErrorStatus,
} from "./errors.js";
export type { CudaAvailability, SessionTuning } from "./executionProviders.js";
export { createSession, detectCuda, resolveProviders, sessionOptions } from "./executionProviders.js";
export type {
  InferenceEngineDeps,
  InferenceEngineOptions,
  InferOptions,
  InferResult,
  LoadedModelInfo,
} from "./InferenceEngine.js";
export { defaultInferenceEngineOptions, InferenceEngine } from "./InferenceEngine.js";
export { inferenceMetricDefs } from "./inferenceMetrics.js";
export { inspectModel } from "./inspectModel.js";
export type { LruBounds } from "./LruCache.js";
export { LruCache } from "./LruCache.js";
export type {
  BatchingOptions,
  ModelRunnerDeps,
  ModelRunnerOptions,
  RunnableSession,
  RunnerMetrics,
  RunResult,
  SubmitOptions,
} from "./ModelRunner.js";
export { defaultBatchingOptions, ModelRunner } from "./ModelRunner.js";
export type { ModelConfig, ModelEntry, ModelStoreDeps, ModelStoreOptions } from "./ModelStore.js";
export { ModelStore } from "./ModelStore.js";
export type { ModelId } from "./modelId.js";
export { isModelId, parseModelId } from "./modelId.js";
export type { ModelIo, ModelIoSpec } from "./modelIo.js";
export { hasBatchDim, ioFromMetadata, ioFromSession, ioKey } from "./modelIo.js";
export { dtypeFromOrt, fromOrtResults, fromOrtTensor, toOrtFeeds, toOrtTensor } from "./ortTensor.js";
export { identityModelBytes } from "./probeModel.js";
export { QueueBudget } from "./QueueBudget.js";
export { SessionReplicas } from "./SessionReplicas.js";
export type { EngineSession } from "./session.js";
export { InProcessSession } from "./session.js";
export type { InputLimits } from "./validateInputs.js";
export { defaultInputLimits, validateInputs } from "./validateInputs.js";
export type { WorkerSessionOptions } from "./worker/WorkerSession.js";
export { WorkerSession } from "./worker/WorkerSession.js";
