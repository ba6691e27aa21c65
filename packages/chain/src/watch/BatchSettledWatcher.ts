import type { Logger } from "@opg/protocol";
import { type Address, type Client, getAbiItem, type Hash, type Hex } from "viem";
import { inferenceHubAbi } from "../abis.js";
import type { CheckpointStore } from "../checkpoint/CheckpointStore.js";
import { LogWatcher, type LogWatcherMetrics, type LogWatcherOptions } from "./LogWatcher.js";

const batchSettled = getAbiItem({ abi: inferenceHubAbi, name: "BatchSettled" });

/** A `BatchSettled` event: the batch, its Merkle root and result count, and the settling transaction. */
export type SettledBatchEvent = { batchId: bigint; root: Hex; count: number; tx: Hash };

export type BatchSettledWatcherOptions = Omit<LogWatcherOptions, "address" | "name"> & {
  /** The InferenceHub. */
  hub: Address;
};

export type BatchSettledWatcherDeps = {
  logger?: Logger | undefined;
  client: Client;
  checkpoint: CheckpointStore;
  /** Called once per settled batch, in chain order; a throw retries it (the checkpoint waits). */
  onSettled: (event: SettledBatchEvent, signal: AbortSignal) => Promise<void> | void;
  metrics?: LogWatcherMetrics | undefined;
};

/**
 * Follows the hub's `BatchSettled` events (what verifiers and delivering executors wait for): a
 * `LogWatcher` over the event, handing out decoded settlements.
 */
export class BatchSettledWatcher {
  readonly name = "chain-batch-settled";
  private readonly watcher: LogWatcher<typeof batchSettled>;

  constructor(
    options: Pick<BatchSettledWatcherOptions, "hub"> & Partial<BatchSettledWatcherOptions>,
    deps: BatchSettledWatcherDeps,
  ) {
    const { hub, ...rest } = options;
    this.watcher = new LogWatcher(
      { ...rest, address: hub, name: "batch-settled" },
      {
        logger: deps.logger,
        client: deps.client,
        checkpoint: deps.checkpoint,
        event: batchSettled,
        metrics: deps.metrics,
        onLog: (log, signal) =>
          deps.onSettled(
            {
              batchId: log.args.batchId,
              root: log.args.root,
              count: log.args.count,
              tx: log.transactionHash,
            },
            signal,
          ),
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
}
