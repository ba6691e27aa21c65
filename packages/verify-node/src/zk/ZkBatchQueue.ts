export type ZkBatchQueueOptions = {
  /** A key's batch is verified as soon as it holds this many items. */
  maxBatchSize: number;
  /** …and at the latest this long after its first item arrived (0: at the next turn of the event loop). */
  maxWaitMs: number;
};

export const defaultZkBatchQueueOptions: ZkBatchQueueOptions = { maxBatchSize: 64, maxWaitMs: 25 };

/** What one verified batch looked like (for metrics). */
export type ZkBatchReport<K> = { key: K; size: number; invalid: number; seconds: number };

export type ZkBatchQueueDeps<K, T> = {
  /** Checks a batch of one key's items; returns the indices of the invalid ones (ZkVerifier.verifyBatch). */
  verifyBatch: (key: K, items: readonly T[]) => Promise<{ invalid: readonly number[] }>;
  /** Told after each batch that was verified. */
  onBatch?: ((report: ZkBatchReport<K>) => void) | undefined;
};

/** A submitted item that was not verified because the queue stopped first. */
export class ZkBatchQueueStopped extends Error {
  override name = "ZkBatchQueueStopped";
  constructor() {
    super("The ZK batch queue stopped before this proof was verified.");
  }
}

type Entry<T> = { item: T; resolve: (valid: boolean) => void; reject: (err: unknown) => void };
type Pending<T> = { entries: Entry<T>[]; timer: NodeJS.Timeout };

/**
 * Collects items per key (a verification key) and verifies each key's items together, with one
 * `verifyBatch` call per batch: a batch is cut when it holds `maxBatchSize` items or when its
 * first item has waited `maxWaitMs`, whichever comes first. Each `submit` settles on its own:
 * true for a valid item, false for one the batch found invalid; a batch whose verification throws
 * rejects all its items with that error. Batches of different keys, and successive batches of a
 * key, are verified concurrently.
 */
export class ZkBatchQueue<K, T> {
  readonly options: ZkBatchQueueOptions;
  private readonly pending = new Map<K, Pending<T>>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  /** Batches verified, items in them, invalid items found, and the largest batch. */
  readonly stats = { batches: 0, items: 0, invalid: 0, largestBatch: 0 };

  constructor(
    options: Partial<ZkBatchQueueOptions>,
    private readonly deps: ZkBatchQueueDeps<K, T>,
  ) {
    this.options = { ...defaultZkBatchQueueOptions, ...options };
    if (!Number.isInteger(this.options.maxBatchSize) || this.options.maxBatchSize < 1)
      throw new RangeError(`maxBatchSize must be a positive integer, got ${this.options.maxBatchSize}`);
    if (!(this.options.maxWaitMs >= 0))
      throw new RangeError(`maxWaitMs must be ≥ 0, got ${this.options.maxWaitMs}`);
  }

  /** Items waiting for their batch to be cut. */
  get waiting(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.entries.length;
    return n;
  }

  /**
   * Queue one item: resolves true when it is valid, false when it is not; rejects with the
   * batch's error when the batch could not be verified, or with ZkBatchQueueStopped.
   */
  submit(key: K, item: T): Promise<boolean> {
    if (this.stopped) return Promise.reject(new ZkBatchQueueStopped());
    return new Promise<boolean>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { entries: [], timer: setTimeout(() => this.cut(key), this.options.maxWaitMs) };
        this.pending.set(key, batch);
      }
      batch.entries.push({ item, resolve, reject });
      if (batch.entries.length >= this.options.maxBatchSize) this.cut(key);
    });
  }

  /** Refuses new items, rejects the waiting ones (ZkBatchQueueStopped), waits for the batches being verified. */
  async stop(): Promise<void> {
    this.stopped = true;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const batch of waiting) {
      clearTimeout(batch.timer);
      for (const e of batch.entries) e.reject(new ZkBatchQueueStopped());
    }
    await Promise.allSettled([...this.running]);
  }

  private cut(key: K): void {
    const batch = this.pending.get(key);
    if (!batch) return;
    this.pending.delete(key);
    clearTimeout(batch.timer);
    const run = this.verify(key, batch.entries).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private async verify(key: K, entries: Entry<T>[]): Promise<void> {
    const started = performance.now();
    const items = entries.map((e) => e.item);
    let invalid: ReadonlySet<number>;
    try {
      const result = await this.deps.verifyBatch(key, items);
      invalid = new Set(result.invalid);
    } catch (err) {
      for (const e of entries) e.reject(err);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    let bad = 0;
    entries.forEach((e, i) => {
      const valid = !invalid.has(i);
      if (!valid) bad++;
      e.resolve(valid);
    });
    this.stats.batches++;
    this.stats.items += entries.length;
    this.stats.invalid += bad;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, entries.length);
    try {
      this.deps.onBatch?.({ key, size: entries.length, invalid: bad, seconds });
    } catch {
      // an observer's failure changes no verdict
    }
  }
}
