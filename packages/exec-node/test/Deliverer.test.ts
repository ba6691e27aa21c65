import { RevertedError } from "@opg/chain";
import { createLogger } from "@opg/daemon";
import {
  encodeResultMessage,
  ProofMode,
  ResultBatchTree,
  resultHash,
  type VerifierResultBody,
} from "@opg/protocol";
import { type Address, keccak256, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { Deliverer, type DeliveryHub } from "../src/delivery/Deliverer.js";
import { ExecStore } from "../src/store/ExecStore.js";

const EXEC = "0x00000000000000000000000000000000000000e1" as Address;
const OTHER = "0x00000000000000000000000000000000000000e2" as Address;
const h = (s: string) => keccak256(toHex(s));

function fixture(
  opts: {
    executorInBatch?: Address;
    deliver?: DeliveryHub["deliver"];
    balance?: () => Promise<bigint>;
    minBalanceEth?: string;
  } = {},
) {
  const store = new ExecStore(":memory:");
  const outputs = new Uint8Array([1, 2, 3]);
  const fields = {
    requestId: h("req"),
    modelId: h("model"),
    inputHash: h("input"),
    outputHash: keccak256(outputs),
    executor: EXEC,
  };
  const settledFields = { ...fields, executor: opts.executorInBatch ?? EXEC };
  const tree = ResultBatchTree.of([settledFields, { ...fields, requestId: h("other") }]);
  store.put({
    requestId: fields.requestId,
    modelId: fields.modelId,
    mode: ProofMode.NONE,
    message: encodeResultMessage({
      ...fields,
      mode: ProofMode.NONE,
      outputs,
      proof: new Uint8Array(),
      signature: `0x${"11".repeat(65)}`,
      origin: { type: "onchain" },
    }),
    deadline: 2_000_000_000,
    createdAt: 0,
  });
  let t = 1_000_000;
  const calls = { deliver: 0, fetches: [] as string[] };
  let status: Awaited<ReturnType<DeliveryHub["requestStatus"]>> = "pending";
  let settled = false;
  const hub: DeliveryHub = {
    requestStatus: async () => status,
    batchRoot: async () => tree.root,
    deliver: async (p) => {
      calls.deliver++;
      if (opts.deliver) return opts.deliver(p);
      expect(ResultBatchTree.verify(tree.root, fields, p.proof)).toBe(true);
      return { hash: h("tx") };
    },
    settleWithProof: async () => ({ hash: h("zk") }),
  };
  /** opg-verify's answer for the request (`verifierResultSchema`), as `status` with `extra`. */
  const answer = (status: "verified" | "settled", extra: Partial<VerifierResultBody> = {}) =>
    Response.json({
      ...settledFields,
      status,
      mode: "NONE",
      resultHash: resultHash(settledFields),
      outputs: toHex(outputs),
      resultProof: "0x",
      ...extra,
    });
  const fakeFetch = (async (url: string) => {
    calls.fetches.push(url);
    if (url.startsWith("http://down")) throw new TypeError("fetch failed");
    if (url.startsWith("http://liar")) {
      return answer("settled", { batchId: "7", root: tree.root, executor: EXEC, proof: [h("forged")] });
    }
    if (!settled) return answer("verified");
    return answer("settled", { batchId: "7", root: tree.root, proof: tree.proof(fields.requestId) });
  }) as typeof fetch;
  const deliverer = new Deliverer(
    {
      verifierUrls: ["http://down:1", "http://liar:1", "http://good:1/"],
      maxAttempts: 3,
      retryBaseMs: 1_000,
      retryMaxMs: 4_000,
      recheckMs: 30_000,
      ...(opts.minBalanceEth !== undefined ? { minBalanceEth: opts.minBalanceEth } : {}),
    },
    {
      store,
      hub,
      executor: EXEC,
      ...(opts.balance ? { balance: opts.balance } : {}),
      logger: createLogger({ level: "silent" }),
      fetch: fakeFetch,
      now: () => t,
    },
  );
  const request = {
    requester: zeroAddress,
    listingId: fields.modelId,
    modelId: fields.modelId,
    inputHash: fields.inputHash,
    mode: ProofMode.NONE,
    callback: zeroAddress,
    callbackGasLimit: 0,
    callbackGasPrice: 0n,
    deadline: 2_000_000_000n,
    fee: 10n,
  };
  return {
    store,
    deliverer,
    calls,
    track: () => deliverer.track(fields.requestId, request),
    advance: (ms: number) => {
      t += ms;
    },
    settle: () => {
      settled = true;
      deliverer.onBatchSettled();
    },
    setStatus: (s: typeof status) => {
      status = s;
    },
  };
}

describe("Deliverer", () => {
  it("default: waits for the settlement, skips unreachable and lying verifiers, delivers once", async () => {
    const f = fixture();
    f.track();
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(0);
    expect(f.store.pendingDeliveries()).toBe(1);
    f.settle();
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(1);
    expect(f.calls.fetches.at(-1)).toBe(`http://good:1/v1/results/${h("req")}`);
    expect(f.store.pendingDeliveries()).toBe(0);
  });

  it("behavior: a request delivered by someone else (status or revert) is dropped without a transaction", async () => {
    const a = fixture();
    a.track();
    a.setStatus("delivered");
    a.settle();
    await a.deliverer.tick();
    expect(a.calls.deliver).toBe(0);
    expect(a.store.pendingDeliveries()).toBe(0);

    const b = fixture({
      deliver: async () => {
        throw new RevertedError({ errorName: "AlreadyDelivered", args: [h("req")] });
      },
    });
    b.track();
    b.settle();
    await b.deliverer.tick();
    expect(b.calls.deliver).toBe(1);
    expect(b.store.pendingDeliveries()).toBe(0);
  });

  it("behavior: another executor's settled result is left to it", async () => {
    const f = fixture({ executorInBatch: OTHER });
    f.track();
    f.settle();
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(0);
    expect(f.store.pendingDeliveries()).toBe(0);
  });

  it("error: failed transactions are retried with backoff, then given up after maxAttempts", async () => {
    const f = fixture({
      deliver: async () => {
        throw new Error("nonce too low");
      },
    });
    f.track();
    f.settle();
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(1);
    await f.deliverer.tick(); // backing off: not due yet
    expect(f.calls.deliver).toBe(1);
    f.advance(1_000);
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(2);
    f.advance(2_000);
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(3);
    expect(f.store.pendingDeliveries()).toBe(0);
  });

  it("behavior: under the balance floor no delivery is sent and the reason is reported; once funded, it delivers", async () => {
    let balance = 10n ** 14n; // 0.0001 ETH
    const f = fixture({ balance: async () => balance, minBalanceEth: "0.001" });
    f.track();
    f.settle();
    await f.deliverer.tick();
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(0);
    expect(f.calls.fetches).toEqual([]); // nothing done at all, no attempt spent
    expect(f.store.pendingDeliveries()).toBe(1);
    expect(f.deliverer.problems()).toEqual([
      `signer ${EXEC} holds 0.0001 ETH, under the delivery floor of 0.001 ETH (delivery.minBalanceEth): deliveries wait until you send ETH to ${EXEC}`,
    ]);

    balance = 10n ** 15n; // exactly the floor
    await f.deliverer.tick();
    expect(f.calls.deliver).toBe(1);
    expect(f.deliverer.problems()).toEqual([]);
    expect(f.store.pendingDeliveries()).toBe(0);
  });

  it("behavior: a failed balance read does not stop delivery; a zero floor reads no balance", async () => {
    const failing = fixture({
      balance: async () => {
        throw new Error("rpc down");
      },
    });
    failing.track();
    failing.settle();
    await failing.deliverer.tick();
    expect(failing.calls.deliver).toBe(1);

    let reads = 0;
    const free = fixture({
      balance: async () => {
        reads++;
        return 0n;
      },
      minBalanceEth: "0",
    });
    free.track();
    free.settle();
    await free.deliverer.tick();
    expect(free.calls.deliver).toBe(1);
    expect(reads).toBe(0);
  });

  it("behavior: pending deliveries survive a restart of the store", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const path = join(mkdtempSync(join(tmpdir(), "deliv-")), "exec.sqlite");
    const a = new ExecStore(path);
    expect(a.addDelivery(h("req"), "{}", 1, 2)).toBe(true);
    expect(a.addDelivery(h("b"), "{}", 1, 2)).toBe(true);
    expect(a.addDelivery(h("c"), "{}", 1, 2)).toBe(false);
    a.close();
    const b = new ExecStore(path);
    expect(b.dueDeliveries(1, 10).map((d) => d.requestId)).toEqual([h("req"), h("b")]);
    b.close();
  });
});
