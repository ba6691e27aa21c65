import type { MetricSpec } from "./deps.js";

/**
 * The engine's metrics (opg-exec's catalog holds them): `type` says which of the daemon's metric
 * kinds each one is. The engine creates them through `InferenceMetrics`.
 */
export const inferenceMetricDefs = {
  queueDepth: {
    type: "gauge",
    area: "inference",
    name: "queue_depth",
    help: "Requests waiting to run, by model",
    labelNames: ["model"],
  },
  runDuration: {
    type: "histogram",
    area: "inference",
    name: "run_duration",
    unit: "seconds",
    help: "Duration of one onnxruntime run (a whole batch when batched)",
    labelNames: ["model", "provider"],
  },
  batchSize: {
    type: "histogram",
    area: "inference",
    name: "batch_size",
    help: "Rows (sum of dim 0) per run",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
  },
  rejectedBusy: {
    type: "counter",
    area: "inference",
    name: "rejected_busy",
    help: "Requests refused because the queue was full",
    labelNames: ["model"],
  },
  requests: {
    type: "counter",
    area: "inference",
    name: "requests",
    help: "Inference requests by outcome (ok, busy, timeout, aborted, failed, shutting_down)",
    labelNames: ["model", "outcome"],
  },
  providerInfo: {
    type: "gauge",
    area: "inference",
    name: "provider_info",
    help: "Execution provider in use (1 for the active one)",
    labelNames: ["provider"],
  },
  loadedModels: {
    type: "gauge",
    area: "inference",
    name: "loaded_models",
    help: "Models with a live session",
  },
  loadedBytes: {
    type: "gauge",
    area: "inference",
    name: "loaded_model",
    unit: "bytes",
    help: "Bytes of model files with a live session",
  },
  loadDuration: {
    type: "histogram",
    area: "inference",
    name: "load_duration",
    unit: "seconds",
    help: "Time to verify, load and warm up a model",
    labelNames: ["provider"],
  },
  evictions: { type: "counter", area: "inference", name: "evictions", help: "Sessions evicted from the LRU" },
} as const satisfies Record<
  string,
  MetricSpec & { type: "counter" | "gauge" | "histogram"; buckets?: readonly number[] }
>;
