import { LRUCache } from "lru-cache";

export type ReadCacheOptions = {
  /** How long an answer is trusted; 0: never cached (every call reads). */
  ttlMs: number;
  /** Most keys kept (least recently used dropped first). */
  maxEntries: number;
  /** Clock (tests). */
  now?: (() => number) | undefined;
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

  constructor(options: ReadCacheOptions) {
    if (options.ttlMs <= 0) return;
    this.cache = new LRUCache<string, { value: V }, Read<V>>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Read the clock at every check (the default caches it for a millisecond behind a timer).
      ttlResolution: 0,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      ...(options.now ? { perf: { now: options.now } } : {}),
      fetchMethod: async (_key, _stale, { context }) => {
        try {
          return { value: await context.load() };
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

  /** Forgets every answer (the source changed). */
  clear(): void {
    this.cache?.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }
}
