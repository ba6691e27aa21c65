import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { VerifierStore } from "../src/store/VerifierStore.js";

const h = (s: string): Hex => keccak256(toHex(s));
const proposer: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

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
  it("behavior: proposals are bounded per member in count and bytes; a flooding member evicts only its own oldest", () => {
    const store = new VerifierStore(":memory:");
    const flooder: Address = "0x00000000000000000000000000000000000000f1";
    const honest: Address = "0x00000000000000000000000000000000000000a1";
    const propose = (by: Address, i: number, hashes = 1, limits = { maxCount: 8, maxBytes: 1024 }) =>
      store.insertProposal(
        {
          batchId: BigInt(i),
          configDigest: h("c"),
          root: h(`${by}/${i}`),
          count: hashes,
          resultHashes: Array.from({ length: hashes }, (_, k) => h(`${by}/${i}/${k}`)),
          proposer: by,
          createdAt: i,
        },
        limits,
      );
    expect(propose(honest, 1)).toBe(0);
    expect(propose(honest, 2)).toBe(0);
    // Count: 100 proposals from one member keep its 8 newest.
    let evicted = 0;
    for (let i = 10; i < 110; i++) evicted += propose(flooder, i);
    expect(evicted).toBe(92);
    expect(store.proposalsBy(flooder)).toEqual({ count: 8, bytes: 8 * 32 });
    expect(store.proposalIdsBy(flooder).map((p) => p.batchId)).toEqual(
      Array.from({ length: 8 }, (_, k) => BigInt(109 - k)),
    );
    expect(store.proposalsBy(honest)).toEqual({ count: 2, bytes: 64 });
    expect(store.getProposal(1n, h(`${honest}/1`))?.resultHashes).toEqual([h(`${honest}/1/0`)]);
    // Bytes: 1024 bytes hold 32 hashes; two proposals of 20 hashes leave only the newest.
    propose(flooder, 200, 20);
    expect(store.proposalsBy(flooder)).toEqual({ count: 8, bytes: 20 * 32 + 7 * 32 });
    propose(flooder, 201, 20);
    expect(store.proposalsBy(flooder)).toEqual({ count: 1, bytes: 20 * 32 });
    expect(store.proposalIdsBy(flooder)).toEqual([{ batchId: 201n, root: h(`${flooder}/201`) }]);
    // A repeated proposal changes nothing; the honest member's are untouched throughout.
    expect(propose(flooder, 201, 20)).toBe(0);
    expect(store.proposalsBy(honest)).toEqual({ count: 2, bytes: 64 });
  });

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

  it("behavior: a root signed under an older verifier set is replaced; under the same set it never is", () => {
    const store = new VerifierStore(":memory:");
    const batch = (configDigest: Hex, root: Hex, createdAt: number) => ({
      batchId: 3n,
      configDigest,
      root,
      count: 1,
      resultHashes: [h("a")],
      proposer,
      createdAt,
    });
    store.recordSignedBatch(batch(h("old"), h("x"), 1));
    expect(store.recordSignedBatch(batch(h("new"), h("y"), 2))).toMatchObject({
      configDigest: h("new"),
      root: h("y"),
    });
    expect(store.recordSignedBatch(batch(h("new"), h("z"), 3)).root).toBe(h("y"));
    store.markBatchSettled(3n, h("y"), 1, undefined);
    expect(store.recordSignedBatch(batch(h("newer"), h("w"), 4))).toMatchObject({
      status: "settled",
      root: h("y"),
    });
  });

  it("behavior: two roots for one id are a conflict only under one verifier set", () => {
    const store = new VerifierStore(":memory:");
    const sig = (configDigest: Hex, root: Hex) => ({
      batchId: 1n,
      root,
      configDigest,
      count: 1,
      verifier: proposer,
      signature: h("sig") as Hex,
    });
    store.insertSignature(sig(h("old"), h("x")));
    expect(store.conflictingSignature(1n, h("y"), h("new"), proposer)).toBeUndefined();
    store.insertSignature(sig(h("new"), h("x")));
    expect(store.signaturesFor(1n, h("x"), h("new"))).toHaveLength(1);
    expect(store.conflictingSignature(1n, h("y"), h("new"), proposer)?.root).toBe(h("x"));
  });

  it("behavior: a store from before set-keyed signatures is migrated with its rows", () => {
    const path = join(mkdtempSync(join(tmpdir(), "opg-store-")), "v.sqlite");
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE batch_signatures (batch_id INTEGER NOT NULL, root TEXT NOT NULL, config_digest TEXT NOT NULL,
      count INTEGER NOT NULL, verifier TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (batch_id, root, verifier));
      CREATE TABLE proposals (batch_id INTEGER NOT NULL, root TEXT NOT NULL, config_digest TEXT NOT NULL, count INTEGER NOT NULL,
      result_hashes BLOB NOT NULL, proposer TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (batch_id, root));`);
    old
      .prepare("INSERT INTO batch_signatures VALUES (1, ?, ?, 1, ?, ?)")
      .run(h("x"), h("c"), proposer, h("s"));
    old.close();
    const store = new VerifierStore(path);
    expect(store.signaturesFor(1n, h("x"), h("c"))).toHaveLength(1);
    store.insertSignature({
      batchId: 1n,
      root: h("x"),
      configDigest: h("d"),
      count: 1,
      verifier: proposer,
      signature: h("t"),
    });
    expect(store.signaturesFor(1n, h("x"), h("d"))).toHaveLength(1);
    store.close();
    const reopened = new DatabaseSync(path);
    expect(reopened.prepare("PRAGMA user_version").get()).toEqual({ user_version: 3 });
    reopened.close();
  });
});
