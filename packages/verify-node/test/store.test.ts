import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { VerifierStore } from "../src/store/VerifierStore.js";

const h = (s: string): Hex => keccak256(toHex(s));
const proposer = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function result(store: VerifierStore, name: string) {
  store.insertResult({
    resultHash: h(name),
    requestId: h(`req/${name}`),
    modelId: h("m"),
    inputHash: h("i"),
    outputHash: h(`o/${name}`),
    executor: proposer,
    mode: 0,
    message: new Uint8Array([1]),
    receivedAt: Date.now(),
  });
}

describe("VerifierStore", () => {
  it("default: a settled batch marks its members settled, including ones that arrive later", () => {
    const store = new VerifierStore(":memory:");
    result(store, "a");
    store.insertProposal({
      batchId: 1n,
      configDigest: h("c"),
      root: h("r1"),
      count: 2,
      resultHashes: [h("a"), h("b")],
      proposer,
      createdAt: 1,
    });
    store.markBatchSettled(1n, h("r1"), 2, h("tx"));
    expect(store.getResult(h("a"))?.status).toBe("settled");
    result(store, "b");
    expect(store.getResult(h("b"))).toMatchObject({ status: "settled", batchId: 1n });
    expect(store.lastSettledBatchId()).toBe(1n);
  });

  it("behavior: membership learnt after settlement (a restarted verifier) completes the record", () => {
    const store = new VerifierStore(":memory:");
    result(store, "a");
    store.markBatchSettled(1n, h("r1"), 1, h("tx"));
    expect(store.getBatch(1n)?.resultHashes).toEqual([]);
    expect(store.getResult(h("a"))?.status).toBe("verified");
    store.insertProposal({
      batchId: 1n,
      configDigest: h("c"),
      root: h("r1"),
      count: 1,
      resultHashes: [h("a")],
      proposer,
      createdAt: 1,
    });
    store.markBatchSettled(1n, h("r1"), 1, undefined);
    expect(store.getBatch(1n)).toMatchObject({
      resultHashes: [h("a")],
      proposer: proposer.toLowerCase(),
      settleTx: h("tx"),
    });
    expect(store.getResult(h("a"))?.status).toBe("settled");
  });

  it("behavior: a root we signed is replaced by the root the chain settled, with no stale members", () => {
    const store = new VerifierStore(":memory:");
    result(store, "a");
    store.recordSignedBatch({
      batchId: 1n,
      configDigest: h("c"),
      root: h("ours"),
      count: 1,
      resultHashes: [h("a")],
      proposer,
      createdAt: 1,
    });
    store.markBatchSettled(1n, h("theirs"), 3, h("tx"));
    expect(store.getBatch(1n)).toMatchObject({ root: h("theirs"), resultHashes: [], status: "settled" });
    expect(store.getResult(h("a"))?.status).toBe("verified");
  });

  it("behavior: at most one root is ever recorded as signed for a batch id", () => {
    const store = new VerifierStore(":memory:");
    const first = store.recordSignedBatch({
      batchId: 2n,
      configDigest: h("c"),
      root: h("x"),
      count: 1,
      resultHashes: [h("a")],
      proposer,
      createdAt: 1,
    });
    const second = store.recordSignedBatch({
      batchId: 2n,
      configDigest: h("c"),
      root: h("y"),
      count: 1,
      resultHashes: [h("b")],
      proposer,
      createdAt: 2,
    });
    expect(second.root).toBe(first.root);
  });
});
