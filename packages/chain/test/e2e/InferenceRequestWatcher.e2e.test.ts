import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProofMode } from "@opg/protocol";
import { Until } from "@opg/testkit";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { OpgContracts } from "../../src/actions/OpgContracts.js";
import type { InferenceRequestedEvent } from "../../src/actions/types.js";
import { type CheckpointStore, MemoryCheckpointStore } from "../../src/checkpoint/CheckpointStore.js";
import { FileCheckpointStore } from "../../src/checkpoint/FileCheckpointStore.js";
import { TxSender } from "../../src/tx/TxSender.js";
import { InferenceRequestWatcher } from "../../src/watch/InferenceRequestWatcher.js";
import type { LogWatcherOptions } from "../../src/watch/LogWatcher.js";
import {
  deadlineIn,
  deployTestOpg,
  type OpgFixture,
  startTestChain,
  TEST_MODEL,
  type TestChain,
} from "../helpers/testChain.js";

let chain: TestChain;
let fixture: OpgFixture;
let requester: TxSender;
let contracts: OpgContracts;
let dir: string;
const watchers: InferenceRequestWatcher[] = [];
let inputCounter = 0;

beforeAll(async () => {
  chain = await startTestChain();
  fixture = await deployTestOpg(chain);
  const account = await chain.fundedAccount();
  // The requester talks to the chain directly, so it keeps working while the proxy is down.
  requester = new TxSender({ receiptPollIntervalMs: 10 }, { client: chain.direct, account });
  requester.start();
  contracts = new OpgContracts(fixture.deployment, { client: chain.direct, sender: requester });
  dir = await mkdtemp(join(tmpdir(), "opg-watcher-"));
});

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.stop()));
  chain.proxy.failing = undefined;
  await chain.proxy.up();
});

afterAll(async () => {
  requester?.stop();
  await chain?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Makes `n` on-chain requests (one block each); returns their ids in order. */
async function makeRequests(n: number): Promise<Hex[]> {
  const ids: Hex[] = [];
  for (let i = 0; i < n; i++) {
    const input = toHex(`input-${++inputCounter}`);
    const { requestId } = await contracts.hub.requestInference({
      listingId: fixture.listingId,
      input,
      mode: ProofMode.NONE,
      deadline: await deadlineIn(chain, 3_600),
    });
    ids.push(requestId);
  }
  return ids;
}

type Harness = {
  watcher: InferenceRequestWatcher;
  events: InferenceRequestedEvent[];
  until: Until;
  heads: bigint[];
  rpcErrors: string[];
  handlerErrors: number;
  lastRangeEnd: bigint | undefined;
};

function watch(
  options: Partial<Omit<LogWatcherOptions, "address">> & { checkpoint?: CheckpointStore },
  onRequest?: (event: InferenceRequestedEvent) => void,
): Harness {
  const until = new Until();
  const h: Harness = {
    events: [],
    until,
    heads: [],
    rpcErrors: [],
    handlerErrors: 0,
    lastRangeEnd: undefined,
    watcher: undefined as unknown as InferenceRequestWatcher,
  };
  const { checkpoint, ...rest } = options;
  h.watcher = new InferenceRequestWatcher(
    {
      hub: fixture.deployment.inferenceHub,
      fromBlock: fixture.deployment.startBlock,
      confirmations: 0,
      pollIntervalMs: 10,
      backoff: { initialDelayMs: 10, maxDelayMs: 100, factor: 2, jitter: 0 },
      ...rest,
    },
    {
      client: chain.client,
      checkpoint: checkpoint ?? new MemoryCheckpointStore(),
      onRequest: (event) => {
        onRequest?.(event);
        h.events.push(event);
        until.notify();
      },
      metrics: {
        onHead: (head) => {
          h.heads.push(head);
          until.notify();
        },
        onRpcError: (code) => {
          h.rpcErrors.push(code);
          until.notify();
        },
        onHandlerError: () => {
          h.handlerErrors++;
          until.notify();
        },
        onRange: (r) => {
          h.lastRangeEnd = r.toBlock;
          until.notify();
        },
      },
    },
  );
  watchers.push(h.watcher);
  return h;
}

const ids = (events: readonly InferenceRequestedEvent[]) => events.map((e) => e.requestId);

describe("InferenceRequestWatcher", () => {
  test("default: hands out every request once, in order, decoded", async () => {
    const requested = await makeRequests(3);
    const h = watch({});
    await h.watcher.start();
    await h.until.until(() => h.events.length >= 3, "3 requests");
    const head = await chain.blockNumber();
    await h.until.until(() => (h.lastRangeEnd ?? 0n) >= head, "caught up");
    expect(ids(h.events)).toEqual(requested);
    const first = h.events[0] as InferenceRequestedEvent;
    expect(first.modelId).toBe(TEST_MODEL.modelId);
    expect(first.requester).toBe(requester.address);
    expect(first.request).toMatchObject({
      modelId: TEST_MODEL.modelId,
      listingId: fixture.listingId,
      mode: ProofMode.NONE,
      fee: TEST_MODEL.price,
    });
    expect(first.request.inputHash).toBe(keccak256(first.input));
    expect(first.inputURI).toBe("");
  });

  test("behavior: only processes blocks at least `confirmations` deep", async () => {
    const start = await chain.blockNumber();
    const h = watch({ confirmations: 2, fromBlock: start + 1n });
    await h.watcher.start();
    const [a, b] = await makeRequests(2); // blocks start+1, start+2
    const head = start + 2n;
    // Two polls that saw the head: the first one's step has completed, and found nothing to process.
    await h.until.until(() => h.heads.filter((x) => x >= head).length >= 2, "head seen twice");
    expect(h.events).toEqual([]);
    await chain.mine(1); // a is now 2 deep
    await h.until.until(() => h.events.length >= 1, "first request");
    expect(ids(h.events)).toEqual([a]);
    await chain.mine(1);
    await h.until.until(() => h.events.length >= 2, "second request");
    expect(ids(h.events)).toEqual([a, b]);
  });

  test("behavior: resumes after a restart from the file checkpoint, without repeats or gaps", async () => {
    const path = join(dir, "restart.checkpoint.json");
    const from = (await chain.blockNumber()) + 1n;
    const before = await makeRequests(3);
    const first = watch({ fromBlock: from, checkpoint: new FileCheckpointStore({ path }) });
    await first.watcher.start();
    await first.until.until(() => first.events.length >= 3, "3 requests");
    await first.watcher.stop();
    const checkpoint = await new FileCheckpointStore({ path }).load();
    expect(checkpoint).toBeGreaterThanOrEqual(from + 2n);

    const after = await makeRequests(2);
    const second = watch({ fromBlock: from, checkpoint: new FileCheckpointStore({ path }) });
    await second.watcher.start();
    await second.until.until(() => second.events.length >= 2, "2 new requests");
    const head = await chain.blockNumber();
    await second.until.until(() => (second.lastRangeEnd ?? 0n) >= head, "caught up");
    expect(ids(first.events)).toEqual(before);
    expect(ids(second.events)).toEqual(after);
  });

  test("behavior: survives an RPC outage and resumes where it was", async () => {
    const from = (await chain.blockNumber()) + 1n;
    const h = watch({ fromBlock: from });
    await h.watcher.start();
    const [a] = await makeRequests(1);
    await h.until.until(() => h.events.length >= 1, "first request");

    await chain.proxy.down();
    const during = await makeRequests(2); // mined while the watcher cannot see the chain
    await h.until.until(() => h.rpcErrors.length >= 3, "failed polls");
    expect(h.rpcErrors.every((code) => code === "RPC_UNAVAILABLE")).toBe(true);
    expect(h.watcher.ready()).toBe(false);
    expect(h.events).toHaveLength(1);

    await chain.proxy.up();
    await h.until.until(() => h.events.length >= 3, "requests after the outage");
    expect(ids(h.events)).toEqual([a, ...during]);
    await h.until.until(() => h.watcher.ready(), "healthy again");
  });

  test("behavior: backs off on HTTP 503 from eth_getLogs and shrinks the range", async () => {
    const from = (await chain.blockNumber()) + 1n;
    const requested = await makeRequests(2);
    await chain.mine(30);
    chain.proxy.failing = (method) => method === "eth_getLogs";
    const h = watch({ fromBlock: from, maxBlockRange: 16 });
    await h.watcher.start();
    await h.until.until(() => h.rpcErrors.length >= 5, "failed getLogs");
    expect(h.rpcErrors).toContain("RPC_SERVER_ERROR");
    chain.proxy.failing = undefined;
    await h.until.until(() => h.events.length >= 2, "requests");
    expect(ids(h.events)).toEqual(requested);
  });

  test("behavior: a failing handler retries the same request and holds the checkpoint", async () => {
    const from = (await chain.blockNumber()) + 1n;
    const requested = await makeRequests(3);
    const checkpoint = new MemoryCheckpointStore();
    let failed = false;
    const attempts: Hex[] = [];
    const h = watch({ fromBlock: from, checkpoint }, (event) => {
      attempts.push(event.requestId);
      if (event.requestId === requested[1] && !failed) {
        failed = true;
        throw new Error("database unavailable");
      }
    });
    await h.watcher.start();
    await h.until.until(() => h.handlerErrors >= 1, "handler failure");
    // Blocks before the failing request may be checkpointed; its own block must not be.
    const failingBlock = from + 1n;
    const saved = await checkpoint.load();
    expect(saved === undefined || saved < failingBlock).toBe(true);
    await h.until.until(() => h.events.length >= 3, "all requests");
    expect(ids(h.events)).toEqual(requested);
    expect(attempts).toEqual([requested[0], requested[1], requested[1], requested[2]]);
  });

  test("behavior: without a checkpoint or fromBlock it starts at the head", async () => {
    await makeRequests(1);
    const h = watch({ fromBlock: undefined });
    await h.watcher.start();
    const head = await chain.blockNumber();
    await h.until.until(() => h.heads.some((x) => x >= head), "head");
    const [fresh] = await makeRequests(1);
    await h.until.until(() => h.events.length >= 1, "new request");
    expect(ids(h.events)).toEqual([fresh]);
  });
});
