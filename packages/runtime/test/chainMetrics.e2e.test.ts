import { InferenceRequestWatcher, MemoryCheckpointStore, OpgContracts, TxSender } from "@opg/chain";
import { Metrics } from "@opg/daemon";
import { ProofMode } from "@opg/protocol";
import { toHex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  deadlineIn,
  deployTestOpg,
  type OpgFixture,
  startTestChain,
  type TestChain,
} from "../../chain/test/helpers/testChain.js";
import { ChainMetrics } from "../src/chainMetrics.js";

let chain: TestChain;
let fixture: OpgFixture;
const stops: (() => unknown)[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  fixture = await deployTestOpg(chain);
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  chain.proxy.failing = undefined;
  await chain.setAutomine(true);
});

afterAll(async () => {
  await chain?.close();
});

const recipient = "0x000000000000000000000000000000000000dEaD";

/** The value of the series `name` whose labels include `labels`, from `/metrics` text; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** A daemon's registry with chain metrics, and a started sender wired to it as NodeRuntime does. */
async function wiredSender(options: ConstructorParameters<typeof TxSender>[0] = {}) {
  const metrics = new Metrics({ defaultMetrics: false, labels: { daemon: "opg-test" } });
  const chainMetrics = new ChainMetrics(metrics);
  const account = await chain.fundedAccount();
  const sender = new TxSender(
    {
      chainId: chain.chainId,
      receiptPollIntervalMs: 10,
      rpcRetry: { attempts: 50, backoff: { initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: 0 } },
      ...options,
    },
    { client: chain.client, account, metrics: chainMetrics.sender },
  );
  chainMetrics.observeSender(sender);
  sender.start();
  stops.push(() => sender.stop());
  return { metrics, chainMetrics, sender, account };
}

/** Polls the exposition text until `check` holds (metrics have no events to wait on). */
async function scrapeUntil(
  metrics: Metrics,
  check: (text: string) => boolean,
  what: string,
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await metrics.text();
    if (check(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ChainMetrics", () => {
  test("default: a real send updates the sent, mined, gas, receipt-time and nonce series", async () => {
    const { metrics, sender } = await wiredSender();
    await sender.send({ to: recipient, value: 1n, label: "transfer" });
    const second = await sender.send({ to: recipient, value: 2n, label: "transfer" });
    const text = await metrics.text();
    const transfer = { label: "transfer", daemon: "opg-test" };
    expect(sample(text, "opg_chain_tx_sent_total", transfer)).toBe(2);
    expect(sample(text, "opg_chain_tx_mined_total", { ...transfer, status: "success" })).toBe(2);
    expect(sample(text, "opg_chain_tx_gas_used_total", transfer)).toBe(2 * 21_000);
    expect(sample(text, "opg_chain_tx_receipt_duration_seconds_count", transfer)).toBe(2);
    expect(sample(text, "opg_chain_tx_nonce")).toBe(second.nonce);
    expect(sample(text, "opg_chain_tx_in_flight")).toBe(0);
    expect(sample(text, "opg_chain_tx_replacements_total", transfer)).toBeUndefined();
    expect(text).toContain("# TYPE opg_chain_tx_failed_total counter");
  });

  test("behavior: failures by label and code, RPC errors by code, fee bumps and in-flight sends", async () => {
    const { metrics, sender } = await wiredSender({ stuckTimeoutMs: 100 });

    // A reverting send (a constructor that reverts): a failure with a bounded code.
    await expect(sender.deployContract("0x60006000fd", "reverting")).rejects.toMatchObject({
      code: "REVERTED",
    });
    let text = await metrics.text();
    expect(sample(text, "opg_chain_tx_failed_total", { label: "reverting", code: "REVERTED" })).toBe(1);
    // A contract call that reverts in writeContract's own gas estimate, before any send.
    const alwaysReverts = await sender.deployContract("0x6005600c60003960056000f360006000fd", "deploy");
    const ping = [
      { type: "function", name: "ping", inputs: [], outputs: [], stateMutability: "nonpayable" },
    ] as const;
    await expect(
      sender.writeContract({ address: alwaysReverts, abi: ping, functionName: "ping" }),
    ).rejects.toMatchObject({ code: "REVERTED" });
    text = await metrics.text();
    expect(sample(text, "opg_chain_tx_failed_total", { label: "ping", code: "REVERTED" })).toBe(1);

    // An RPC outage while sending: retried RPC calls are counted by code.
    chain.proxy.failing = () => true;
    const sending = sender.send({ to: recipient, value: 1n });
    await scrapeUntil(
      metrics,
      (t) => (sample(t, "opg_chain_rpc_errors_total", { source: "sender" }) ?? 0) >= 1,
      "a counted RPC error",
    );
    chain.proxy.failing = undefined;
    await sending;
    text = await metrics.text();
    expect(sample(text, "opg_chain_tx_sent_total", { label: "none" })).toBe(1);

    // A stuck transaction: in flight while it waits, replaced with higher fees, then mined.
    await chain.setAutomine(false);
    const stuck = sender.send({ to: recipient, value: 3n, label: "stuck" });
    text = await scrapeUntil(
      metrics,
      (t) => (sample(t, "opg_chain_tx_replacements_total", { label: "stuck" }) ?? 0) >= 1,
      "a replacement",
    );
    expect(sample(text, "opg_chain_tx_in_flight")).toBe(1);
    await chain.mine(1);
    const result = await stuck;
    text = await metrics.text();
    expect(sample(text, "opg_chain_tx_replacements_total", { label: "stuck" })).toBe(result.replacements);
    expect(sample(text, "opg_chain_tx_mined_total", { label: "stuck", status: "success" })).toBe(1);
    expect(sample(text, "opg_chain_tx_in_flight")).toBe(0);
  });

  test("default: a watcher reports its head, processed block, lag and handled logs", async () => {
    const { metrics, chainMetrics, sender } = await wiredSender();
    const contracts = new OpgContracts(fixture.deployment, { client: chain.client, sender });
    await contracts.hub.requestInference({
      listingId: fixture.listingId,
      input: toHex("chain-metrics"),
      mode: ProofMode.NONE,
      deadline: await deadlineIn(chain, 3_600),
    });
    const head = await chain.blockNumber();
    const watcher = new InferenceRequestWatcher(
      {
        hub: fixture.deployment.inferenceHub,
        fromBlock: head,
        confirmations: 0,
        pollIntervalMs: 10,
      },
      {
        client: chain.client,
        checkpoint: new MemoryCheckpointStore(),
        onRequest: () => {},
        metrics: chainMetrics.watcher("inference-requested"),
      },
    );
    await watcher.start();
    stops.push(() => watcher.stop());
    const watched = { watcher: "inference-requested" };
    const text = await scrapeUntil(
      metrics,
      (t) => (sample(t, "opg_chain_watcher_processed_block", watched) ?? -1) >= Number(head),
      "the watcher to catch up",
    );
    expect(sample(text, "opg_chain_watcher_head_block", watched)).toBeGreaterThanOrEqual(Number(head));
    expect(sample(text, "opg_chain_watcher_logs_total", watched)).toBe(1);
    expect(sample(text, "opg_chain_watcher_lag_blocks", watched)).toBe(0);
  });
});
