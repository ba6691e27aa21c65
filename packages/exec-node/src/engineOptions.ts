import { dataPath } from "@opg/runtime";
import type { ExecNodeConfig } from "./config.js";

export const VERSION = "0.1.0";

/** The engine's options from the config (shared with the `models` commands). */
export function engineOptions(config: ExecNodeConfig) {
  const m = config.models;
  return {
    modelDir: dataPath(config, m.dir),
    executionProviders: m.executionProviders,
    cudaDeviceId: m.cudaDeviceId,
    intraOpNumThreads: m.intraOpThreads,
    sessionsPerModel: m.sessionsPerModel,
    interOpNumThreads: m.interOpThreads,
    maxLoadedModels: m.maxLoadedModels,
    maxQueued: m.maxQueued,
    maxInFlightPerModel: m.maxInFlightPerModel,
    requestTimeoutMs: m.requestTimeoutMs,
    batching: m.batching,
    preload: m.preload,
    runInWorker: m.runInWorker,
  };
}
