import { Metrics } from "@opg/daemon";
import { describe, expect, test } from "vitest";
import { ChainMetrics } from "../src/chainMetrics.js";

const fees = { type: "legacy", gasPrice: 1n } as const;
const hash = `0x${"11".repeat(32)}` as const;

describe("ChainMetrics hooks", () => {
  test("behavior: labels stay bounded: id suffixes dropped, unnamed sends are `none`, extras `other`", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const chain = new ChainMetrics(metrics);
    chain.sender.onBroadcast?.({ label: "settleBatch(12)", hash, nonce: 0, replacement: 0, fees });
    chain.sender.onBroadcast?.({ label: "settleBatch(13)", hash, nonce: 1, replacement: 0, fees });
    chain.sender.onBroadcast?.({ label: undefined, hash, nonce: 2, replacement: 0, fees });
    for (let i = 0; i < 100; i++) chain.sender.onFailed?.({ label: `l${i}`, code: "TX_TIMEOUT" });
    const text = await metrics.text();
    expect(text).toContain('opg_chain_tx_sent_total{label="settleBatch"} 2');
    expect(text).toContain('opg_chain_tx_sent_total{label="none"} 1');
    expect(text).toContain("opg_chain_tx_nonce 2");
    expect(text).toContain('opg_chain_tx_failed_total{label="other",code="TX_TIMEOUT"} 38');
  });

  test("behavior: watcher lag is the confirmed head minus the last processed block", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const hooks = new ChainMetrics(metrics).watcher("w");
    hooks.onHead?.(110n, 107n);
    hooks.onRange?.({ fromBlock: 1n, toBlock: 100n, logs: 3, handled: 2 });
    hooks.onRpcError?.("RPC_TIMEOUT");
    hooks.onHandlerError?.();
    let text = await metrics.text();
    expect(text).toContain('opg_chain_watcher_head_block{watcher="w"} 110');
    expect(text).toContain('opg_chain_watcher_processed_block{watcher="w"} 100');
    expect(text).toContain('opg_chain_watcher_lag_blocks{watcher="w"} 7');
    expect(text).toContain('opg_chain_watcher_logs_total{watcher="w"} 2');
    expect(text).toContain('opg_chain_rpc_errors_total{source="w",code="RPC_TIMEOUT"} 1');
    expect(text).toContain('opg_chain_watcher_handler_errors_total{watcher="w"} 1');
    hooks.onRange?.({ fromBlock: 101n, toBlock: 107n, logs: 0, handled: 0 });
    text = await metrics.text();
    expect(text).toContain('opg_chain_watcher_lag_blocks{watcher="w"} 0');
  });

  test("default: in-flight sends are read from the observed sender on each scrape", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const chain = new ChainMetrics(metrics);
    let inFlight = 3;
    chain.observeSender({ health: () => ({ inFlight }) });
    expect(await metrics.text()).toContain("opg_chain_tx_in_flight 3");
    inFlight = 0;
    expect(await metrics.text()).toContain("opg_chain_tx_in_flight 0");
  });
});
