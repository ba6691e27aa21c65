import type { Logger } from "@opg/protocol";
import { type Address, type Client, getAbiItem } from "viem";
import { inferenceHubAbi } from "../abis.js";
import { toInferenceRequestedEvent } from "../actions/InferenceHubActions.js";
import type { InferenceRequestedEvent } from "../actions/types.js";
import type { CheckpointStore } from "../checkpoint/CheckpointStore.js";
import {
  defaultLogWatcherOptions,
  LogWatcher,
  type LogWatcherMetrics,
  type LogWatcherOptions,
} from "./LogWatcher.js";

const inferenceRequested = getAbiItem({ abi: inferenceHubAbi, name: "InferenceRequested" });

export type InferenceRequestWatcherOptions = Omit<LogWatcherOptions, "address" | "name"> & {
  /** The InferenceHub. */
  hub: Address;
};

export const defaultInferenceRequestWatcherOptions: Omit<InferenceRequestWatcherOptions, "hub"> = {
  ...defaultLogWatcherOptions,
};

export type InferenceRequestWatcherDeps = {
  logger?: Logger | undefined;
  client: Client;
  checkpoint: CheckpointStore;
  /** Called once per request, in chain order; a throw retries it (the checkpoint waits). */
  onRequest: (event: InferenceRequestedEvent, signal: AbortSignal) => Promise<void> | void;
  metrics?: LogWatcherMetrics | undefined;
};

/**
 * Follows the hub's `InferenceRequested` events (what executors serve): a `LogWatcher` over the
 * event, deduplicated by `requestId`, handing out decoded requests. Start it from the deployment's
 * start block (`fromBlock`) with a file checkpoint to resume after restarts.
 */
export class InferenceRequestWatcher {
  readonly name = "chain-inference-requests";
  private readonly watcher: LogWatcher<typeof inferenceRequested>;

  constructor(
    options: Pick<InferenceRequestWatcherOptions, "hub"> & Partial<InferenceRequestWatcherOptions>,
    deps: InferenceRequestWatcherDeps,
  ) {
    const { hub, ...rest } = options;
    this.watcher = new LogWatcher(
      { ...defaultInferenceRequestWatcherOptions, ...rest, address: hub, name: "inference-requested" },
      {
        logger: deps.logger,
        client: deps.client,
        checkpoint: deps.checkpoint,
        event: inferenceRequested,
        metrics: deps.metrics,
        dedupeKey: (log) => log.args.requestId,
        onLog: (log, signal) => deps.onRequest(toInferenceRequestedEvent(log), signal),
      },
    );
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.watcher.start(signal);
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }

  ready(): boolean {
    return this.watcher.ready();
  }

  health(): Record<string, unknown> {
    return this.watcher.health();
  }

  status(): ReturnType<LogWatcher<typeof inferenceRequested>["status"]> {
    return this.watcher.status();
  }
}
