import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { resultHash } from "@opg/protocol";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { VerifierStore } from "../src/store/VerifierStore.js";
import { signedResult } from "./helpers/results.js";

const h = (s: string): Hex => keccak256(toHex(s));
const proposer: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function result(store: VerifierStore, name: string, receivedAt = Date.now(), bytes = 1) {
  store.insertResult({
    resultHash: h(name),
    requestId: h(`req/${name}`),
    modelId: h("m"),
    inputHash: h("i"),
    outputHash: h(`o/${name}`),
    executor: proposer,
    mode: 0,
    message: new Uint8Array(bytes).fill(1),
    receivedAt,
  });
}

/** Settles batch `id` (sequence `id`) holding `names`. */
function settle(store: VerifierStore, id: bigint, names: string[]) {
  store.insertProposal({
    batchId: id,
    configDigest: h("c"),
    root: h(`root/${id}`),
    count: names.length,
    resultHashes: names.map(h),
    proposer,
    createdAt: 1,
  });
  store.markBatchSettled(id, h(`root/${id}`), names.length, h(`tx/${id}`));
}

function signature(store: VerifierStore, id: bigint, verifier: string, at: number) {
  store.insertSignature(
    {
      batchId: id,
      root: h(`root/${id}`),
      configDigest: h("c"),
      count: 1,
      verifier: `0x${verifier.repeat(40)}` as Address,
      signature: h(`sig/${id}/${verifier}`),
    },
    at,
  );
}

const DAY = 24 * 3_600_000;
const noCaps = { maxResultBytes: 2 ** 40, maxSignatureBytes: 2 ** 40 };

describe("VerifierStore", () => {
  describe("group commit of verified results", () => {
    const fileStore = () => {
      const path = join(mkdtempSync(join(tmpdir(), "opg-group-")), "v.sqlite");
      return { path, store: new VerifierStore(path) };
    };
    const committed = (path: string): number => {
      const other = new DatabaseSync(path, { readOnly: true });
      try {
        return Number((other.prepare("SELECT count(*) AS n FROM results").get() as { n: number }).n);
      } finally {
        other.close();
      }
    };

    it("behavior: results inserted in one turn are readable at once and committed together before the loop waits", async () => {
      const { path, store } = fileStore();
      for (let i = 0; i < 5; i++) result(store, `g${i}`);
      expect(store.hasResult(h("g4"))).toBe(true);
      expect(committed(path)).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(committed(path)).toBe(5);
      store.close();
    });

    it("behavior: any other write commits the open group first, so it never precedes the results it read", () => {
      const { path, store } = fileStore();
      result(store, "a");
      settle(store, 1n, ["a"]);
      expect(committed(path)).toBe(1);
      result(store, "b");
      store.transaction(() => undefined);
      expect(committed(path)).toBe(2);
      result(store, "c");
      store.close();
      expect(committed(path)).toBe(3);
    });

    it("behavior: an insert that fails inside a group loses none of the group's other results", () => {
      const { path, store } = fileStore();
      result(store, "x");
      store.db.exec("PRAGMA query_only = ON");
      expect(() => result(store, "y")).toThrow();
      store.db.exec("PRAGMA query_only = OFF");
      result(store, "z");
      store.commitGroup();
      expect(committed(path)).toBe(2);
      expect(store.hasResult(h("y"))).toBe(false);
      store.close();
    });
  });

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
    expect(reopened.prepare("PRAGMA user_version").get()).toEqual({ user_version: 5 });
    reopened.close();
  });

  describe("retention of settled results and batch signatures", () => {
    it("behavior: settled results go after their retention; results awaiting a batch stay, and a dropped one is still a duplicate", () => {
      const store = new VerifierStore(":memory:");
      const now = 10 * DAY;
      result(store, "old-settled", now - 8 * DAY);
      result(store, "new-settled", now - DAY);
      result(store, "old-pending", now - 8 * DAY);
      settle(store, 1n, ["old-settled", "new-settled"]);
      const pruned = store.pruneSettled({
        ...noCaps,
        resultsBefore: now - 7 * DAY,
        signaturesBefore: now - DAY,
      });
      expect(pruned.results).toBe(1);
      expect(store.hasResult(h("old-settled"))).toBe(false);
      expect(store.knowsResult(h("old-settled"))).toBe(true);
      expect(store.getResult(h("new-settled"))?.status).toBe("settled");
      expect(store.getResult(h("old-pending"))?.status).toBe("verified");
      expect(store.knowsResult(h("never-seen"))).toBe(false);
      // A member of a settled batch not received yet is not a duplicate: it may still arrive.
      settle(store, 2n, ["late"]);
      expect(store.knowsResult(h("late"))).toBe(false);
      // When it does arrive, it is stored as settled in the batch that named it.
      result(store, "late", now);
      expect(store.getResult(h("late"))).toMatchObject({ status: "settled", batchId: 2n });
    });

    it("behavior: the byte cap drops the oldest settled results first, never pending ones", () => {
      const store = new VerifierStore(":memory:");
      const now = 10 * DAY;
      for (let i = 0; i < 5; i++) result(store, `s${i}`, now - (5 - i) * 1000, 1000);
      result(store, "pending", now - 10_000, 1000);
      settle(store, 1n, ["s0", "s1", "s2", "s3", "s4"]);
      store.pruneSettled({
        resultsBefore: 0,
        maxResultBytes: 2500,
        signaturesBefore: 0,
        maxSignatureBytes: 2 ** 40,
      });
      expect(["s0", "s1", "s2", "s3", "s4"].map((n) => store.hasResult(h(n)))).toEqual([
        false,
        false,
        false,
        true,
        true,
      ]);
      expect(store.hasResult(h("pending"))).toBe(true);
      expect(store.retainedSize()).toMatchObject({ results: 3, resultBytes: 3000 });
    });

    it("behavior: signatures and proposals of settled rounds go after their retention; open rounds keep theirs", () => {
      const store = new VerifierStore(":memory:");
      const now = 10 * DAY;
      settle(store, 1n, []);
      signature(store, 1n, "a", now - 2 * DAY);
      signature(store, 1n, "b", now - 1000);
      signature(store, 2n, "a", now - 2 * DAY); // sequence 2: not settled yet
      store.insertProposal({
        batchId: 2n,
        configDigest: h("c"),
        root: h("root/2"),
        count: 0,
        resultHashes: [],
        proposer,
        createdAt: now - 2 * DAY,
      });
      const pruned = store.pruneSettled({ ...noCaps, resultsBefore: 0, signaturesBefore: now - DAY });
      expect(pruned).toMatchObject({ signatures: 1, proposals: 1 });
      expect(store.signaturesFor(1n, h("root/1"), h("c")).map((s) => s.verifier)).toEqual([
        `0x${"b".repeat(40)}`,
      ]);
      expect(store.signaturesFor(2n, h("root/2"), h("c"))).toHaveLength(1);
      expect(store.getProposal(2n, h("root/2"))).toBeDefined();
      expect(store.getProposal(1n, h("root/1"))).toBeUndefined();
      // The byte cap bounds every signature, oldest first.
      const { signatureBytes } = store.retainedSize();
      store.pruneSettled({
        resultsBefore: 0,
        maxResultBytes: 2 ** 40,
        signaturesBefore: 0,
        maxSignatureBytes: signatureBytes / 2,
      });
      expect(store.retainedSize().signatures).toBe(1);
      expect(store.signaturesFor(1n, h("root/1"), h("c"))).toHaveLength(1);
    });

    it("behavior: a store whose signatures predate their arrival time is migrated; they count as oldest", () => {
      const path = join(mkdtempSync(join(tmpdir(), "opg-store-")), "v.sqlite");
      const old = new DatabaseSync(path);
      old.exec(`CREATE TABLE batch_signatures (batch_id INTEGER NOT NULL, root TEXT NOT NULL, config_digest TEXT NOT NULL,
        count INTEGER NOT NULL, verifier TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (batch_id, root, config_digest, verifier));
        CREATE TABLE batch_members (result_hash TEXT PRIMARY KEY, batch_id INTEGER NOT NULL);`);
      old
        .prepare("INSERT INTO batch_signatures VALUES (1, ?, ?, 1, ?, ?)")
        .run(h("root/1"), h("c"), proposer.toLowerCase(), h("s"));
      old.close();
      const store = new VerifierStore(path);
      expect(store.signaturesFor(1n, h("root/1"), h("c"))).toHaveLength(1);
      settle(store, 1n, ["a"]);
      store.pruneSettled({ ...noCaps, resultsBefore: 0, signaturesBefore: 1 });
      expect(store.signaturesFor(1n, h("root/1"), h("c"))).toHaveLength(0);
      store.close();
    });
  });

  it("behavior: the pending-results query looks each request up by its index (linear in the pending results, not quadratic)", () => {
    const store = new VerifierStore(":memory:");
    for (let i = 0; i < 50; i++) result(store, `p${i}`);
    const plan = (query: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as Array<{ detail: string }>).map(
        (r) => r.detail,
      );
    // The statement pendingResults runs (with its parameter bound to a literal).
    const pending = store.pendingResults(100);
    expect(pending).toHaveLength(50);
    const statement = (store as unknown as { stmts: Record<string, unknown> }).stmts;
    const text = Object.keys(statement).find(
      (q) => q.includes("FROM results r WHERE status = 'verified'") && q.includes("LIMIT ?"),
    )!;
    const subqueries = plan(text.replace("LIMIT ?", "LIMIT 100")).filter((d) => / [sf] /.test(` ${d} `));
    expect(subqueries).toHaveLength(2);
    for (const d of subqueries) expect(d).toContain("USING INDEX results_by_request");
  });

  it("behavior: inline outputs over 1 KiB are served by their hash through the partial index; smaller ones travel inline with their result", () => {
    const store = new VerifierStore(":memory:");
    const stored = (outputLength: number, nonce: bigint) => {
      const s = signedResult({
        domain: { chainId: 31337, verifyingContract: proposer },
        requesterKey: h("requester"),
        executorKey: h("executor"),
        modelId: h("m"),
        nonce,
        outputLength,
      });
      store.insertResult({
        ...s.message,
        resultHash: resultHash(s.message),
        message: s.bytes,
        receivedAt: 1,
      });
      return s.message;
    };
    const big = stored(400, 1n); // 1.6 KB of outputs, inline (as a ZK result carries them)
    const small = stored(2, 2n);
    expect(big.outputs.length).toBeGreaterThan(1024);
    expect(store.payload(big.outputHash)).toEqual(big.outputs);
    expect(store.payload(small.outputHash)).toBeUndefined();
    const statement = Object.keys((store as unknown as { stmts: Record<string, unknown> }).stmts).find((q) =>
      q.includes("FROM results WHERE output_hash = ?"),
    )!;
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${statement}`).all(big.outputHash) as Array<{
      detail: string;
    }>;
    expect(plan.map((r) => r.detail).join(" ")).toContain("USING INDEX results_by_output");
    store.close();
  });
});
