import { defineMetrics } from "@opg/daemon";

/** Time from the first broadcast to the (confirmed) receipt: a block or two, up to the sender's timeout. */
const RECEIPT_BUCKETS: readonly number[] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** The transaction sender's metrics (both daemons), recorded through `ChainMetrics.sender`. */
export const chainTxMetricDefs = defineMetrics({
  txSent: {
    type: "counter",
    area: "chain",
    name: "tx_sent",
    help: "Transactions broadcast (the first broadcast of each nonce; replacements not counted), by label",
    labelNames: ["label"],
  },
  txReplacements: {
    type: "counter",
    area: "chain",
    name: "tx_replacements",
    help: "Fee-bump replacements broadcast for stuck transactions, by label",
    labelNames: ["label"],
  },
  txMined: {
    type: "counter",
    area: "chain",
    name: "tx_mined",
    help: "Transactions mined and confirmed, by label and status (success, reverted)",
    labelNames: ["label", "status"],
  },
  txFailed: {
    type: "counter",
    area: "chain",
    name: "tx_failed",
    help: "Sends that failed, by label and error code (REVERTED, TX_TIMEOUT, TX_DROPPED, INSUFFICIENT_FUNDS…)",
    labelNames: ["label", "code"],
  },
  txGasUsed: {
    type: "counter",
    area: "chain",
    name: "tx_gas_used",
    help: "Gas used by mined transactions, by label",
    labelNames: ["label"],
  },
  txReceiptDuration: {
    type: "histogram",
    area: "chain",
    name: "tx_receipt_duration",
    unit: "seconds",
    help: "Time from a transaction's first broadcast to its confirmed receipt (replacements included), by label",
    labelNames: ["label"],
    buckets: RECEIPT_BUCKETS,
  },
  txNonce: {
    type: "gauge",
    area: "chain",
    name: "tx_nonce",
    help: "Nonce of the latest new transaction this node broadcast",
  },
  /** Read from the observed sender on every scrape (`ChainMetrics.observeSender`). */
  txInFlight: {
    type: "gauge",
    area: "chain",
    name: "tx_in_flight",
    help: "Sends in progress (estimating, broadcast or waiting for a receipt), read from the sender when scraped",
  },
  rpcErrors: {
    type: "counter",
    area: "chain",
    name: "rpc_errors",
    help: "Failed RPC calls (most are retried), by source (sender, or a watcher's name) and error code (RPC_UNAVAILABLE, RPC_TIMEOUT, RATE_LIMITED…)",
    labelNames: ["source", "code"],
  },
});

/** The log watchers' metrics (registered with the first watcher: opg-exec's on-chain intake). */
export const chainWatcherMetricDefs = defineMetrics({
  head: {
    type: "gauge",
    area: "chain",
    name: "watcher_head_block",
    help: "Latest chain head a log watcher saw, by watcher",
    labelNames: ["watcher"],
  },
  processed: {
    type: "gauge",
    area: "chain",
    name: "watcher_processed_block",
    help: "Last block a log watcher fully processed and checkpointed, by watcher",
    labelNames: ["watcher"],
  },
  lag: {
    type: "gauge",
    area: "chain",
    name: "watcher_lag_blocks",
    help: "Confirmed blocks a log watcher has yet to process (0 when caught up), by watcher",
    labelNames: ["watcher"],
  },
  logs: {
    type: "counter",
    area: "chain",
    name: "watcher_logs",
    help: "Logs a watcher handed to its handler successfully, by watcher",
    labelNames: ["watcher"],
  },
  handlerErrors: {
    type: "counter",
    area: "chain",
    name: "watcher_handler_errors",
    help: "Times a watcher's handler threw (the log is retried), by watcher",
    labelNames: ["watcher"],
  },
});

/** What the hub holds for the node's key and its fee split (`FeesGauge`), under the daemon's area. */
export function feesMetricDefs<A extends "exec" | "verify">(area: A) {
  return defineMetrics({
    earned: {
      type: "gauge",
      area,
      name: "fees_earned",
      unit: "wei",
      help: "Fees the hub holds for this node's key (balanceOf: earned, not yet withdrawn), wei.",
    },
    verifierShare: {
      type: "gauge",
      area,
      name: "verifier_fee_share",
      unit: "bps",
      help: "The hub's fee split: basis points of each delivered fee paid to the verifier that settled the batch (batches settled from now on); the executor gets the rest.",
    },
  });
}
