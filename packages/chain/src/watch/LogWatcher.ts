import { type Logger, noopLogger } from "@opg/protocol";
import type { AbiEvent, Address, Client, Log } from "viem";
import { getBlockNumber, getLogs } from "viem/actions";
import type { CheckpointStore } from "../checkpoint/CheckpointStore.js";
import { ChainError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import { type BackoffOptions, backoffDelay, defaultBackoffOptions } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";

/** A decoded, mined log of `TEvent` (never pending: block number, hash and index are set). */
export type WatchedLog<TEvent extends AbiEvent> = Log<bigint, number, false, TEvent, true>;

export type LogWatcherOptions = {
  /** Contract(s) whose logs are watched. */
  address: Address | readonly Address[];
  /**
   * First block to scan when no checkpoint exists (a deployment's start block). `undefined`:
   * start after the current confirmed head (only logs from now on).
   */
  fromBlock: bigint | undefined;
  /** A log is processed once its block is at most `head - confirmations` (reorg safety). */
  confirmations: number;
  /** Pause between polls once caught up. */
  pollIntervalMs: number;
  /** Most blocks per `eth_getLogs` call; halved on failure, grown back on success. */
  maxBlockRange: number;
  /** Backoff after failures (RPC down, handler error, checkpoint write). */
  backoff: BackoffOptions;
  /** How many processed log keys are remembered to drop duplicates. */
  dedupeCacheSize: number;
  /** Name used in logs, e.g. `inference-requested`. */
  name: string;
};

export const defaultLogWatcherOptions: Omit<LogWatcherOptions, "address"> = {
  fromBlock: undefined,
  confirmations: 3,
  pollIntervalMs: 2_000,
  maxBlockRange: 2_000,
  backoff: { ...defaultBackoffOptions, initialDelayMs: 500, maxDelayMs: 30_000 },
  dedupeCacheSize: 10_000,
  name: "logs",
};

/** Optional callbacks for metrics (no prom-client dependency here). */
export type LogWatcherMetrics = {
  /** After each poll of the chain head. */
  onHead?(head: bigint, confirmedHead: bigint): void;
  /** After a range was fully processed and checkpointed. */
  onRange?(range: { fromBlock: bigint; toBlock: bigint; logs: number; handled: number }): void;
  /** An RPC failure (bounded code). */
  onRpcError?(code: string): void;
  /** The handler threw; the log will be retried. */
  onHandlerError?(): void;
};

export type LogWatcherDeps<TEvent extends AbiEvent> = {
  logger?: Logger | undefined;
  /** Any viem client able to serve `eth_blockNumber` and `eth_getLogs`. */
  client: Client;
  checkpoint: CheckpointStore;
  /** The event to watch (an ABI item). */
  event: TEvent;
  /**
   * Called once per log, in chain order. A throw keeps the log (and every later one) unprocessed:
   * it is retried after a backoff, and the checkpoint does not pass it.
   */
  onLog: (log: WatchedLog<TEvent>, signal: AbortSignal) => Promise<void> | void;
  /** Identity used to drop duplicates; `blockHash:logIndex` by default. */
  dedupeKey?: ((log: WatchedLog<TEvent>) => string) | undefined;
  metrics?: LogWatcherMetrics | undefined;
};

export type LogWatcherStatus = {
  running: boolean;
  /** Next block to scan. */
  nextBlock: bigint | undefined;
  /** Last block checkpointed. */
  checkpoint: bigint | undefined;
  head: bigint | undefined;
  /** Consecutive failures (0 when healthy). */
  failures: number;
  lastError: string | undefined;
};

/**
 * Polls `eth_getLogs` over bounded block ranges up to the confirmed head and hands every log to
 * `onLog` exactly once per process, in order. Survives restarts (the checkpoint), RPC outages
 * (errors are logged and retried with backoff, the range shrinks if the RPC refuses it) and
 * reorgs shallower than `confirmations`. No filters: nothing is lost when the RPC forgets state.
 *
 * Delivery is exactly-once across clean restarts (stop() finishes the current block and
 * checkpoints it) and at-least-once across crashes: handlers should be idempotent by id.
 */
export class LogWatcher<const TEvent extends AbiEvent> {
  readonly name: string;
  readonly options: LogWatcherOptions;
  private readonly deps: LogWatcherDeps<TEvent>;
  private readonly logger: Logger;
  private readonly seen = new Map<string, true>();
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private range: bigint;
  private next: bigint | undefined;
  private saved: bigint | undefined;
  private head: bigint | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private warnedAhead = false;

  constructor(
    options: Pick<LogWatcherOptions, "address"> & Partial<LogWatcherOptions>,
    deps: LogWatcherDeps<TEvent>,
  ) {
    this.options = { ...defaultLogWatcherOptions, ...options };
    validateOptions(this.options);
    this.deps = deps;
    this.name = `chain-watcher-${this.options.name}`;
    this.logger = (deps.logger ?? noopLogger).child({ module: this.name });
    this.range = BigInt(this.options.maxBlockRange);
  }

  /** Loads the checkpoint (a corrupt checkpoint fails here) and starts polling in the background. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.loop) throw new ChainError("INVALID_OPTIONS", `${this.name} is already started.`);
    const checkpoint = await this.deps.checkpoint.load();
    this.saved = checkpoint;
    this.next = checkpoint !== undefined ? checkpoint + 1n : this.options.fromBlock;
    const controller = new AbortController();
    this.controller = controller;
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    this.logger.info(
      { checkpoint, nextBlock: this.next, confirmations: this.options.confirmations },
      "Watching logs",
    );
    this.loop = this.run(controller.signal);
  }

  /** Stops polling; waits for the handler in flight and checkpoints what was processed. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
    this.controller = undefined;
    this.logger.info({ checkpoint: this.saved }, "Stopped watching logs");
  }

  /** Ready once started and not failing. */
  ready(): boolean {
    return this.loop !== undefined && this.failures === 0;
  }

  status(): LogWatcherStatus {
    return {
      running: this.loop !== undefined,
      nextBlock: this.next,
      checkpoint: this.saved,
      head: this.head,
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  health(): Record<string, unknown> {
    const s = this.status();
    return {
      nextBlock: s.nextBlock?.toString(),
      checkpoint: s.checkpoint?.toString(),
      head: s.head?.toString(),
      failures: s.failures,
      lastError: s.lastError,
    };
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let delay = this.options.pollIntervalMs;
      try {
        const more = await this.step(signal);
        if (this.failures > 0) this.logger.info({ nextBlock: this.next }, "Watching logs again");
        this.failures = 0;
        this.lastError = undefined;
        if (more) continue;
      } catch (error) {
        this.failures++;
        delay = backoffDelay(this.failures, this.options.backoff);
        this.report(error, delay);
      }
      await sleep(delay, signal);
    }
  }

  /** One poll: scans at most one range. Returns true when more confirmed blocks wait. */
  private async step(signal: AbortSignal): Promise<boolean> {
    const { client } = this.deps;
    const head = await getBlockNumber(client, { cacheTime: 0 });
    this.head = head;
    const confirmed = head - BigInt(this.options.confirmations);
    this.deps.metrics?.onHead?.(head, confirmed);
    if (this.next === undefined) this.next = confirmed + 1n > 0n ? confirmed + 1n : 0n;
    const from = this.next;
    if (this.saved !== undefined && head < this.saved && !this.warnedAhead) {
      this.warnedAhead = true;
      this.logger.warn(
        { head: head.toString(), checkpoint: this.saved.toString() },
        "The checkpoint is ahead of the chain head: waiting. If the chain was reset, delete the checkpoint.",
      );
    }
    if (confirmed < from) return false;
    const to = min(confirmed, from + this.range - 1n);

    let logs: WatchedLog<TEvent>[];
    try {
      logs = (await getLogs(client, {
        address: this.options.address as Address | Address[],
        event: this.deps.event as AbiEvent,
        fromBlock: from,
        toBlock: to,
        strict: true,
      })) as unknown as WatchedLog<TEvent>[];
    } catch (error) {
      // Providers cap ranges and result sizes: retry smaller.
      if (this.range > 1n) this.range /= 2n;
      throw error;
    }
    if (this.range < BigInt(this.options.maxBlockRange)) {
      this.range = min(BigInt(this.options.maxBlockRange), this.range * 2n);
    }
    logs.sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );

    const { through, handled, error } = await this.handle(logs, to, signal);
    if (through >= from) {
      await this.deps.checkpoint.save(through);
      this.saved = through;
    }
    this.next = through + 1n;
    if (error !== undefined) throw error;
    this.deps.metrics?.onRange?.({ fromBlock: from, toBlock: through, logs: logs.length, handled });
    if (logs.length > 0) {
      this.logger.debug({ fromBlock: from, toBlock: through, logs: logs.length, handled }, "Processed logs");
    }
    return !signal.aborted && this.next <= confirmed;
  }

  /** Hands logs to the handler block by block; returns the last block fully processed. */
  private async handle(
    logs: readonly WatchedLog<TEvent>[],
    to: bigint,
    signal: AbortSignal,
  ): Promise<{ through: bigint; handled: number; error?: unknown }> {
    let handled = 0;
    let block: bigint | undefined;
    for (const log of logs) {
      if (log.blockNumber !== block) {
        // Between blocks: a stop keeps everything before this block.
        if (signal.aborted) return { through: log.blockNumber - 1n, handled };
        block = log.blockNumber;
      }
      const key = this.deps.dedupeKey?.(log) ?? `${log.blockHash}:${log.logIndex}`;
      if (this.seen.has(key)) continue;
      try {
        await this.deps.onLog(log, signal);
      } catch (cause) {
        this.deps.metrics?.onHandlerError?.();
        const error = new HandlerFailure(log, cause);
        return { through: log.blockNumber - 1n, handled, error };
      }
      this.remember(key);
      handled++;
    }
    return { through: to, handled };
  }

  private remember(key: string): void {
    this.seen.set(key, true);
    if (this.seen.size > this.options.dedupeCacheSize) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }

  private report(error: unknown, delayMs: number): void {
    if (error instanceof HandlerFailure) {
      this.lastError = "HANDLER";
      this.logger.error(
        {
          err: error.cause,
          blockNumber: error.log.blockNumber.toString(),
          logIndex: error.log.logIndex,
          transactionHash: error.log.transactionHash,
          attempt: this.failures,
          delayMs,
        },
        "Log handler failed; retrying the log",
      );
      return;
    }
    const classified = classifyError(error);
    this.lastError = classified.code;
    this.deps.metrics?.onRpcError?.(classified.code);
    this.logger[this.failures === 1 || this.failures % 10 === 0 ? "warn" : "debug"](
      {
        code: classified.code,
        err: classified.details ?? classified.message,
        attempt: this.failures,
        delayMs,
        nextBlock: this.next?.toString(),
        range: this.range.toString(),
      },
      "Polling logs failed; backing off",
    );
  }
}

/** The handler threw for `log`. */
class HandlerFailure extends Error {
  override name = "HandlerFailure";
  constructor(
    readonly log: { blockNumber: bigint; logIndex: number; transactionHash: string },
    cause: unknown,
  ) {
    super("log handler failed", { cause });
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function validateOptions(o: LogWatcherOptions): void {
  const problems: string[] = [];
  const addresses = Array.isArray(o.address) ? o.address : [o.address];
  if (addresses.length === 0) problems.push("address: at least one contract address is required");
  if (!Number.isInteger(o.confirmations) || o.confirmations < 0)
    problems.push("confirmations: an integer ≥ 0");
  if (!Number.isInteger(o.maxBlockRange) || o.maxBlockRange < 1)
    problems.push("maxBlockRange: an integer ≥ 1");
  if (!(o.pollIntervalMs > 0)) problems.push("pollIntervalMs: > 0");
  if (!Number.isInteger(o.dedupeCacheSize) || o.dedupeCacheSize < 1)
    problems.push("dedupeCacheSize: an integer ≥ 1");
  if (o.fromBlock !== undefined && o.fromBlock < 0n) problems.push("fromBlock: ≥ 0");
  if (problems.length > 0) {
    throw new ChainError("INVALID_OPTIONS", "Invalid log watcher options.", { details: problems.join("; ") });
  }
}
