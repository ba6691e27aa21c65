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
    let t = 0;
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

  it("behavior: fresh() answers only a fresh entry, never reads, and keeps an expired one for get()", async () => {
    let t = 1_000;
    const cache = new ReadCache<number | undefined>({ ttlMs: 100, maxEntries: 10, now: () => t });
    expect(cache.fresh("a")).toBeUndefined();
    let release!: (v: number | undefined) => void;
    const first = cache.get("a", () => new Promise((r) => (release = r)));
    expect(cache.fresh("a")).toBeUndefined(); // its first read is under way
    release(undefined);
    expect(await first).toBeUndefined();
    expect(cache.fresh("a")).toEqual({ value: undefined }); // an undefined answer, boxed
    t += 150;
    expect(cache.fresh("a")).toBeUndefined(); // expired
    const down = async (): Promise<number | undefined> => {
      throw new Error("RPC down");
    };
    expect(await cache.get("a", down)).toBeUndefined(); // the expired answer was kept for the outage
    expect(await cache.get("a", async () => 7)).toBe(7);
    expect(cache.fresh("a")).toEqual({ value: 7 });
    const none = new ReadCache<number>({ ttlMs: 0, maxEntries: 2 });
    await none.get("a", async () => 1);
    expect(none.fresh("a")).toBeUndefined();
  });
});
