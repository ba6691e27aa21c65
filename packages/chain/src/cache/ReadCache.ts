import { LRUCache } from "lru-cache";

export type ReadCacheOptions<V = unknown> = {
  /** How long an answer is trusted; 0: never cached (every call reads). */
  ttlMs: number;
  /** Most keys kept (least recently used dropped first). */
  maxEntries: number;
  /** Clock (tests). */
  now?: (() => number) | undefined;
  /** The TTL of one answer, when it depends on the answer (e.g. "not found" kept briefly). */
  ttlOf?: ((value: V) => number) | undefined;
};

/** One read through the cache, and its error when it failed. */
type Read<V> = { load: () => Promise<V>; error?: unknown };

/**
 * Chain reads cached by key (`lru-cache` with `fetchMethod`): concurrent asks for one key share
 * one read, answers expire after `ttlMs`, the key count is bounded, and during an RPC outage the
 * last answer (even expired) is served instead of the error. `undefined` answers are cached too.
 */
export class ReadCache<V> {
  private readonly cache: LRUCache<string, { value: V }, Read<V>> | undefined;

  constructor(options: ReadCacheOptions<V>) {
    if (options.ttlMs <= 0) return;
    this.cache = new LRUCache<string, { value: V }, Read<V>>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Read the clock at every check (the default caches it for a millisecond behind a timer).
      ttlResolution: 0,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      // lru-cache reads a start time of 0 as "no TTL": shift an injected clock that starts at 0.
      ...(options.now ? { perf: { now: () => options.now!() + 1 } } : {}),
      fetchMethod: async (_key, _stale, { context, options: setOptions }) => {
        try {
          const value = await context.load();
          // A TTL of 0 would mean "forever" to lru-cache.
          if (options.ttlOf) setOptions.ttl = Math.max(1, options.ttlOf(value));
          return { value };
        } catch (error) {
          context.error = error;
          throw error;
        }
      },
    });
  }

  /** The cached answer for `key`, else `load()`'s (shared by concurrent callers). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.cache) return load();
    const read: Read<V> = { load };
    const entry = await this.cache.fetch(key, { context: read });
    // A failed read with no earlier answer to fall back on resolves undefined: surface its error.
    if (entry === undefined) throw read.error ?? new Error(`No answer for ${key}.`);
    return entry.value;
  }

  /**
   * The cached answer for `key` while it is fresh, boxed (an `undefined` answer is an answer),
   * without reading or waiting: what a hot path tries before `get`. Undefined when there is none,
   * it expired (kept for `get`'s fallback) or its first read is under way.
   */
  fresh(key: string): { value: V } | undefined {
    return this.cache?.get(key, { allowStale: false, noDeleteOnStaleGet: true });
  }

  /** The cached answer for `key`, fresh or not, without reading. */
  peek(key: string): V | undefined {
    return this.cache?.peek(key, { allowStale: true })?.value;
  }

  /** Stores an answer learnt elsewhere (an event), trusted for `ttlMs` (default: the cache's TTL). */
  set(key: string, value: V, ttlMs?: number): void {
    this.cache?.set(key, { value }, ttlMs === undefined ? {} : { ttl: ttlMs });
  }

  /** Forgets every answer (the source changed). */
  clear(): void {
    this.cache?.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }
}
