import { describe, expect, it } from "vitest";
import { ZkBatchQueue, ZkBatchQueueStopped } from "../src/zk/ZkBatchQueue.js";

/**
 * The queue's own bookkeeping, with a plain batch function (items are numbers, odd ones invalid);
 * the real pairing checks are exercised in zk.test.ts.
 */
function queue(options: { maxBatchSize?: number; maxWaitMs?: number }, fail?: Error) {
  const batches: { key: string; items: number[] }[] = [];
  const q = new ZkBatchQueue<string, number>(options, {
    verifyBatch: async (key, items) => {
      batches.push({ key, items: [...items] });
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw fail;
      return { invalid: items.flatMap((x, i) => (x % 2 ? [i] : [])) };
    },
  });
  return { q, batches };
}

describe("ZkBatchQueue", () => {
  it("behavior: one batch per key, cut at max size, each item its own verdict", async () => {
    const { q, batches } = queue({ maxBatchSize: 3, maxWaitMs: 60_000 });
    const out = await Promise.all([
      q.submit("a", 2),
      q.submit("b", 1),
      q.submit("a", 3),
      q.submit("b", 4),
      q.submit("a", 6),
      q.submit("b", 8),
    ]);
    expect(out).toEqual([true, false, false, true, true, true]);
    expect(batches).toEqual([
      { key: "a", items: [2, 3, 6] },
      { key: "b", items: [1, 4, 8] },
    ]);
    expect(q.stats).toEqual({ batches: 2, items: 6, invalid: 2, largestBatch: 3 });
  });

  it("edge: maxWaitMs 0 still batches what arrives in the same turn; a lone item is cut by its wait", async () => {
    const { q, batches } = queue({ maxBatchSize: 64, maxWaitMs: 0 });
    expect(await Promise.all([q.submit("a", 2), q.submit("a", 5)])).toEqual([true, false]);
    expect(await q.submit("a", 4)).toBe(true);
    expect(batches.map((b) => b.items)).toEqual([[2, 5], [4]]);
  });

  it("error: a batch that cannot be verified rejects its items only", async () => {
    const boom = new Error("engine down");
    const { q } = queue({ maxBatchSize: 2, maxWaitMs: 10 }, boom);
    await expect(Promise.all([q.submit("a", 2), q.submit("a", 4)])).rejects.toBe(boom);
    expect(q.stats.batches).toBe(0);
    expect(
      () => new ZkBatchQueue({ maxBatchSize: 0 }, { verifyBatch: async () => ({ invalid: [] }) }),
    ).toThrow(RangeError);
  });

  it("edge: stop() waits for running batches, rejects waiting items and later ones", async () => {
    const { q, batches } = queue({ maxBatchSize: 2, maxWaitMs: 60_000 });
    const running = Promise.all([q.submit("a", 2), q.submit("a", 3)]);
    const waiting = q.submit("b", 4).catch((err: unknown) => err);
    expect(q.waiting).toBe(1);
    await q.stop();
    await expect(running).resolves.toEqual([true, false]);
    expect(await waiting).toBeInstanceOf(ZkBatchQueueStopped);
    await expect(q.submit("a", 6)).rejects.toBeInstanceOf(ZkBatchQueueStopped);
    expect(batches).toHaveLength(1);
    expect(q.waiting).toBe(0);
  });
});
