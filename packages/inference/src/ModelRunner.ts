import type { Logger } from "@opg/protocol";
import { OpgError, type TensorMap } from "@opg/protocol";
import { batchKey, batchRows, concatBatch, splitBatch } from "./batchTensors.js";
import type { CounterMetric, GaugeMetric, HistogramMetric } from "./deps.js";
import { InferenceError, InferenceRetryableError } from "./errors.js";
import type { QueueBudget } from "./QueueBudget.js";

/** Anything that runs a model on named tensors (an onnxruntime session, or a fake in tests). */
export interface RunnableSession {
  run(inputs: TensorMap): Promise<TensorMap>;
}

export type BatchingOptions = {
  /** Concatenate queued requests along dim 0 (only for models whose inputs/outputs all have a symbolic dim 0). */
  enabled: boolean;
  /** Most rows (sum of dim 0) in one run. */
  maxBatchSize: number;
  /** Longest a request waits for others to fill a batch. */
  maxWaitMs: number;
};

export const defaultBatchingOptions: BatchingOptions = { enabled: false, maxBatchSize: 8, maxWaitMs: 2 };

export type ModelRunnerOptions = {
  /** Runs in flight at once for this model. */
  maxInFlight: number;
  batching: BatchingOptions;
};

export type RunnerMetrics = {
  queueDepth: GaugeMetric;
  runDuration: HistogramMetric;
  batchSize: HistogramMetric;
  rejectedBusy: CounterMetric;
  requests: CounterMetric;
};

export type ModelRunnerDeps = {
  session: RunnableSession;
  budget: QueueBudget;
  logger: Logger;
  metrics: RunnerMetrics;
  /** Label values for this model's series: `{model, provider}`. */
  labels: { model: string; provider: string };
};

export type SubmitOptions = {
  signal?: AbortSignal | undefined;
  /** Time left for this request, from now. */
  timeoutMs: number;
};

export type RunResult = {
  outputs: TensorMap;
  /** Rows (sum of dim 0) in the run that produced this result; 1 request unbatched. */
  batchRows: number;
  /** Requests that shared the run. */
  batchRequests: number;
  queuedMs: number;
  runMs: number;
};

type Item = {
  inputs: TensorMap;
  rows: number | undefined;
  key: string | undefined;
  enqueuedAt: number;
  queued: boolean;
  settled: boolean;
  resolve: (result: RunResult) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
};

type Outcome = "ok" | "busy" | "timeout" | "aborted" | "failed" | "shutting_down";

/**
 * The request queue of one loaded model: bounded (engine-wide `QueueBudget`), with per-request
 * timeout and cancellation, a bound on runs in flight, and dynamic batching along dim 0.
 */
export class ModelRunner {
  readonly options: ModelRunnerOptions;
  private readonly deps: ModelRunnerDeps;
  private readonly logger: Logger;
  private readonly queue: Item[] = [];
  private running = 0;
  private closedWith: Error | undefined;
  private batchingDisabled = false;
  private waitTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: ModelRunnerOptions, deps: ModelRunnerDeps) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new RangeError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
    this.options = options;
    this.deps = deps;
    this.logger = deps.logger;
  }

  get queued(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  get batching(): boolean {
    return this.options.batching.enabled && !this.batchingDisabled;
  }

  /** Queues a run; rejects with BUSY at once when the engine's queue is full. */
  submit(inputs: TensorMap, options: SubmitOptions): Promise<RunResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const { signal } = options;
    if (signal?.aborted) {
      this.count("aborted");
      return Promise.reject(abortedError(signal));
    }
    if (!(options.timeoutMs > 0)) {
      this.count("timeout");
      return Promise.reject(
        new InferenceRetryableError("TIMEOUT", "Inference timed out before it could be queued"),
      );
    }
    if (!this.deps.budget.tryAcquire()) {
      this.count("busy");
      this.deps.metrics.rejectedBusy.inc({ model: this.deps.labels.model });
      return Promise.reject(
        new InferenceRetryableError("BUSY", "Inference queue is full", {
          details: `${this.deps.budget.max} requests are already waiting; retry later.`,
        }),
      );
    }
    return new Promise<RunResult>((resolve, reject) => {
      const batchable = this.options.batching.enabled;
      const item: Item = {
        inputs,
        rows: batchRows(inputs),
        key: batchable ? batchKey(inputs) : undefined,
        enqueuedAt: performance.now(),
        queued: true,
        settled: false,
        resolve,
        reject,
        cleanup: () => {},
      };
      const timer = setTimeout(
        () => {
          this.fail(
            item,
            new InferenceRetryableError("TIMEOUT", `Inference timed out after ${options.timeoutMs} ms`),
            "timeout",
          );
        },
        Math.min(options.timeoutMs, 2 ** 31 - 1),
      );
      const onAbort = () => this.fail(item, abortedError(signal as AbortSignal), "aborted");
      signal?.addEventListener("abort", onAbort, { once: true });
      item.cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.queue.push(item);
      this.updateDepth();
      this.pump();
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new requests and rejects queued ones with `error`; runs in flight finish. */
  close(error: Error): void {
    this.closedWith ??= error;
    clearTimeout(this.waitTimer);
    for (const item of [...this.queue]) this.fail(item, error, "shutting_down");
    this.checkIdle();
  }

  private pump(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    while (this.running < this.options.maxInFlight && this.queue.length > 0) {
      const group = this.nextGroup();
      if (!group) break;
      this.dispatch(group);
    }
  }

  /** The next requests to run together, or undefined to wait for more (timer armed). */
  private nextGroup(): Item[] | undefined {
    const head = this.queue[0] as Item;
    const { maxBatchSize, maxWaitMs } = this.options.batching;
    const canBatch = (item: Item) =>
      item.rows !== undefined && item.rows > 0 && item.rows <= maxBatchSize && item.key !== undefined;
    if (!this.batching || !canBatch(head)) return [head];
    const group = [head];
    let rows = head.rows as number;
    for (let i = 1; i < this.queue.length && rows < maxBatchSize; i++) {
      const item = this.queue[i] as Item;
      if (canBatch(item) && item.key === head.key && rows + (item.rows as number) <= maxBatchSize) {
        group.push(item);
        rows += item.rows as number;
      }
    }
    const waitLeft = head.enqueuedAt + maxWaitMs - performance.now();
    if (rows < maxBatchSize && waitLeft > 0 && !this.closedWith) {
      this.waitTimer = setTimeout(() => this.pump(), Math.ceil(waitLeft));
      return undefined;
    }
    return group;
  }

  private dispatch(group: Item[]): void {
    const startedAt = performance.now();
    for (const item of group) this.dequeue(item);
    this.updateDepth();
    this.running++;
    void this.execute(group, startedAt).finally(() => {
      this.running--;
      this.pump();
      this.checkIdle();
    });
  }

  private async execute(group: Item[], startedAt: number): Promise<void> {
    const { model, provider } = this.deps.labels;
    if (group.length === 1) {
      const item = group[0] as Item;
      try {
        const outputs = await this.runOnce(item.inputs);
        this.succeed(item, outputs, item.rows ?? 1, 1, startedAt);
      } catch (error) {
        this.fail(item, runError(error), "failed");
      }
      return;
    }
    const rows = group.map((item) => item.rows as number);
    const totalRows = rows.reduce((a, b) => a + b, 0);
    let outputs: TensorMap;
    try {
      outputs = await this.runOnce(concatBatch(group.map((item) => item.inputs)));
    } catch (error) {
      for (const item of group) this.fail(item, runError(error), "failed");
      return;
    }
    const split = splitBatch(outputs, rows);
    if (split) {
      this.deps.metrics.batchSize.observe({ model }, totalRows);
      group.forEach((item, i) => {
        this.succeed(item, split[i] as TensorMap, totalRows, group.length, startedAt);
      });
      return;
    }
    // An output's dim 0 is not the batch: this model cannot be batched after all.
    this.batchingDisabled = true;
    this.logger.warn(
      { model, provider },
      "model outputs do not follow the batch dim; batching disabled for it",
    );
    for (const item of group) {
      if (item.settled) continue;
      try {
        this.succeed(item, await this.runOnce(item.inputs), item.rows ?? 1, 1, performance.now());
      } catch (error) {
        this.fail(item, runError(error), "failed");
      }
    }
  }

  private async runOnce(inputs: TensorMap): Promise<TensorMap> {
    const begin = performance.now();
    try {
      return await this.deps.session.run(inputs);
    } finally {
      this.deps.metrics.runDuration.observe(this.deps.labels, (performance.now() - begin) / 1000);
    }
  }

  private succeed(item: Item, outputs: TensorMap, rows: number, requests: number, startedAt: number): void {
    if (item.settled) return;
    item.settled = true;
    item.cleanup();
    this.count("ok");
    if (requests === 1) this.deps.metrics.batchSize.observe({ model: this.deps.labels.model }, rows);
    item.resolve({
      outputs,
      batchRows: rows,
      batchRequests: requests,
      queuedMs: startedAt - item.enqueuedAt,
      runMs: performance.now() - startedAt,
    });
  }

  private fail(item: Item, error: unknown, outcome: Outcome): void {
    if (item.settled) return;
    item.settled = true;
    item.cleanup();
    if (item.queued) {
      this.dequeue(item);
      this.updateDepth();
      this.checkIdle();
    }
    this.count(outcome);
    item.reject(error);
  }

  private dequeue(item: Item): void {
    if (!item.queued) return;
    item.queued = false;
    const index = this.queue.indexOf(item);
    if (index >= 0) this.queue.splice(index, 1);
    this.deps.budget.release();
  }

  private updateDepth(): void {
    this.deps.metrics.queueDepth.set({ model: this.deps.labels.model }, this.queue.length);
  }

  private count(outcome: Outcome): void {
    this.deps.metrics.requests.inc({ model: this.deps.labels.model, outcome });
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.running > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function abortedError(signal: AbortSignal): InferenceError {
  return new InferenceError("ABORTED", "Inference was cancelled", { cause: signal.reason });
}

function runError(error: unknown): unknown {
  if (error instanceof OpgError) return error;
  return new InferenceError("RUN_FAILED", "Model run failed", {
    details: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}
