import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { ExecStore } from "../src/store/ExecStore.js";

describe("ExecStore", () => {
  const record = (message: number[]) => ({
    requestId: keccak256(toHex("req")),
    modelId: keccak256(toHex("model")),
    mode: 0,
    message: new Uint8Array(message),
    deadline: 2_000_000_000,
    createdAt: 1,
  });

  it("default: the first result for a request stands; a second one gets the first back", () => {
    const store = new ExecStore(":memory:");
    expect(store.put(record([1, 2, 3]))).toBeUndefined();
    expect(store.put(record([9]))?.message).toEqual(new Uint8Array([1, 2, 3]));
    expect(store.get(record([]).requestId)?.message).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("behavior: results are published again until published recently, and expire at their deadline", () => {
    const store = new ExecStore(":memory:");
    store.put(record([1]));
    expect(store.duePublishing(100, 0, 10)).toHaveLength(1);
    store.markPublished(record([]).requestId, 50);
    expect(store.duePublishing(40, 0, 10)).toHaveLength(0);
    expect(store.expire(2_000_000_001)).toBe(1);
    expect(store.duePublishing(100, 0, 10)).toHaveLength(0);
    expect(store.counts()).toEqual({ results: 1, open: 0 });
  });

  it("behavior: an expired result is deleted only after its retention, and an open one never", () => {
    const store = new ExecStore(":memory:");
    store.put(record([1]));
    expect(store.pruneExpired(2_000_000_001)).toBe(0); // still open: not expired yet
    store.expire(2_000_000_001);
    expect(store.pruneExpired(2_000_000_000)).toBe(0); // deadline not before the cut
    expect(store.pruneExpired(2_000_000_001)).toBe(1);
    expect(store.get(record([]).requestId)).toBeUndefined();
  });
});
