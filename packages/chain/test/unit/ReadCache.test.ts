import { describe, expect, it } from "vitest";
import { ReadCache } from "../../src/cache/ReadCache.js";

describe("ReadCache", () => {
  it("default: answers are kept for the TTL; concurrent asks share one read", async () => {
    let t = 1_000;
    let reads = 0;
    const cache = new ReadCache<number | undefined>({ ttlMs: 100, maxEntries: 10, now: () => t });
    const load = async () => {
      reads++;
      return reads === 1 ? undefined : reads;
    };
    expect(await Promise.all([cache.get("a", load), cache.get("a", load)])).toEqual([undefined, undefined]);
    expect(reads).toBe(1);
    t += 50;
    expect(await cache.get("a", load)).toBeUndefined();
    t += 100;
    expect(await cache.get("a", load)).toBe(2);
  });

  it("behavior: during an outage the last answer holds; with none, the error comes through", async () => {
    let t = 1_000; // lru-cache reads a start time of 0 as "no TTL"
    const cache = new ReadCache<string>({ ttlMs: 10, maxEntries: 10, now: () => t });
    expect(await cache.get("k", async () => "v1")).toBe("v1");
    t += 20;
    const down = async (): Promise<string> => {
      throw new Error("RPC down");
    };
    expect(await cache.get("k", down)).toBe("v1");
    await expect(cache.get("other", down)).rejects.toThrow("RPC down");
    expect(await cache.get("k", async () => "v2")).toBe("v2");
  });

  it("behavior: bounded in keys; ttl 0 never caches", async () => {
    const cache = new ReadCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => 1_000 });
    for (const k of ["a", "b", "c"]) await cache.get(k, async () => 1);
    expect(cache.size).toBe(2);
    let reads = 0;
    const none = new ReadCache<number>({ ttlMs: 0, maxEntries: 2 });
    await none.get("a", async () => ++reads);
    await none.get("a", async () => ++reads);
    expect(reads).toBe(2);
  });
});
