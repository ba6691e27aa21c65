import { describe, expect, it } from "vitest";
import { LruCache } from "../src/index.js";

describe("LruCache", () => {
  it("default", () => {
    const cache = new LruCache<string, number>({ maxEntries: 2, maxSize: 100 }, (v) => v);
    expect(cache.set("a", 1)).toEqual([]);
    expect(cache.set("b", 2)).toEqual([]);
    cache.get("a");
    expect(cache.set("c", 3)).toEqual([["b", 2]]);
    expect(cache.entries().map(([k]) => k)).toEqual(["a", "c"]);
  });

  it("behavior: bounded by total size; the newest entry is kept even when alone too big", () => {
    const cache = new LruCache<string, number>({ maxEntries: 10, maxSize: 10 }, (v) => v);
    cache.set("a", 4);
    cache.set("b", 4);
    expect(cache.set("c", 4)).toEqual([["a", 4]]);
    expect(cache.totalSize).toBe(8);
    expect(cache.set("huge", 20)).toEqual([
      ["b", 4],
      ["c", 4],
    ]);
    expect(cache.count).toBe(1);
    expect(cache.delete("huge")).toBe(20);
    expect(cache.totalSize).toBe(0);
  });
});
