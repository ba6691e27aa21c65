export type LruBounds = {
  /** Most entries kept. */
  maxEntries: number;
  /** Most total size kept (sum of `sizeOf`). */
  maxSize: number;
};

/**
 * A least-recently-used map bounded by entry count and total size. `set` returns what it evicted;
 * the newest entry is never evicted by its own insertion.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  private size = 0;

  constructor(
    readonly bounds: LruBounds,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get count(): number {
    return this.map.size;
  }

  get totalSize(): number {
    return this.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Gets and marks as most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Inserts as most recently used; returns the entries evicted to stay within bounds. */
  set(key: K, value: V): [K, V][] {
    const evicted: [K, V][] = [];
    const previous = this.map.get(key);
    if (previous !== undefined) {
      this.map.delete(key);
      this.size -= this.sizeOf(previous);
    }
    this.map.set(key, value);
    this.size += this.sizeOf(value);
    for (const [oldKey, oldValue] of this.map) {
      if (this.map.size <= this.bounds.maxEntries && this.size <= this.bounds.maxSize) break;
      if (oldKey === key) continue;
      this.map.delete(oldKey);
      this.size -= this.sizeOf(oldValue);
      evicted.push([oldKey, oldValue]);
    }
    return evicted;
  }

  delete(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.size -= this.sizeOf(value);
    return value;
  }

  /** Entries from least to most recently used. */
  entries(): [K, V][] {
    return [...this.map];
  }
}
