import { createLogger, HttpServer } from "@opg/daemon";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountExplorerRoutes } from "../src/api/explorerRoutes.js";
import { VerifierStore } from "../src/store/VerifierStore.js";

const h = (s: string): Hex => keccak256(toHex(s));
const executor = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

describe("explorer routes of the verifier API", () => {
  const store = new VerifierStore(":memory:");
  const http = new HttpServer({ port: 0 }, { logger: createLogger({ level: "silent" }) });

  beforeAll(async () => {
    for (const [i, name] of ["a", "b", "c"].entries()) {
      store.insertResult({
        resultHash: h(name),
        requestId: h(`req/${name}`),
        modelId: h("m"),
        inputHash: h("i"),
        outputHash: h(`o/${name}`),
        executor,
        mode: 1,
        message: new Uint8Array([1]),
        receivedAt: 1_000 + i,
      });
    }
    store.insertRejection(
      { requestId: h("req/x"), resultHash: h("x"), code: "BAD_PROOF", reason: "no", at: 5 },
      10,
    );
    const batch = {
      batchId: 1n,
      configDigest: h("c"),
      root: h("r"),
      count: 2,
      resultHashes: [h("a"), h("b")],
      proposer: executor as Hex,
      createdAt: 7,
    };
    store.insertProposal(batch);
    store.recordSignedBatch(batch);
    store.insertSignature({
      batchId: 1n,
      root: h("r"),
      configDigest: h("c"),
      count: 2,
      verifier: executor,
      signature: "0x12",
    });
    store.markBatchSettled(1n, h("r"), 2, h("tx"));
    mountExplorerRoutes(http, { store });
    await http.start();
  });
  afterAll(async () => {
    await http.stop();
    store.close();
  });

  it("default: recent results newest first, with rejections; batches with their signatures", async () => {
    const results = (await (await fetch(`${http.url()}/v1/results?limit=2`)).json()) as {
      results: { requestId: Hex; status: string; mode: string; batchId: string | null }[];
      rejections: { code: string }[];
    };
    expect(results.results.map((r) => r.requestId)).toEqual([h("req/c"), h("req/b")]);
    expect(results.results[1]).toMatchObject({ status: "settled", mode: "ZK", batchId: "1" });
    expect(results.rejections).toMatchObject([{ code: "BAD_PROOF" }]);
    const batches = (await (await fetch(`${http.url()}/v1/batches`)).json()) as { batches: unknown[] };
    expect(batches.batches).toMatchObject([
      {
        batchId: "1",
        status: "settled",
        root: h("r"),
        count: 2,
        settlementTx: h("tx"),
        signatures: [{ verifier: executor, signature: "0x12" }],
      },
    ]);
  });

  it("error: limits out of range and ZK artifacts this verifier lacks", async () => {
    expect((await fetch(`${http.url()}/v1/results?limit=0`)).status).toBe(400);
    expect((await fetch(`${http.url()}/v1/batches?limit=100000`)).status).toBe(400);
    expect((await fetch(`${http.url()}/v1/zk/${h("m")}`)).status).toBe(404);
    expect((await fetch(`${http.url()}/v1/zk/nope`)).status).toBe(400);
  });
});
