import type { LogWatcherMetrics, TxSenderMetrics } from "@opg/chain";
import type { Metrics } from "@opg/daemon";
import { type Counter, Gauge } from "prom-client";

/** Time from the first broadcast to the (confirmed) receipt: a block or two, up to the sender's timeout. */
const RECEIPT_BUCKETS: readonly number[] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/**
 * Most distinct values one label takes; later ones are counted as `other`. Transaction labels
 * (`settleBatch`…), error codes and watcher names come from fixed sets in code: this is a guard,
 * never reached in practice.
 */
const MAX_LABEL_VALUES = 64;

/** What reports a sender's in-flight count (a `TxSender`). */
export type SenderHealthSource = { health(): { inFlight?: unknown } };

/**
 * The chain metrics of a daemon (`opg_chain_*`): `sender` and `watcher(name)` are the hooks that
 * `TxSender` and the log watchers take (`deps.metrics`), recorded in the daemon's registry.
 */
export class ChainMetrics {
  /** Hooks for a `TxSender` (`deps.metrics`). */
  readonly sender: TxSenderMetrics;
  private readonly rpcErrors: Counter<"source" | "code">;
  private readonly watcherHead: Gauge<"watcher">;
  private readonly watcherProcessed: Gauge<"watcher">;
  private readonly watcherLag: Gauge<"watcher">;
  private readonly watcherLogs: Counter<"watcher">;
  private readonly watcherHandlerErrors: Counter<"watcher">;
  /** Label values seen so far, by label kind (the cardinality guard). */
  private readonly values = new Map<string, Set<string>>();
  private senderSource: SenderHealthSource | undefined;

  constructor(metrics: Metrics) {
    const area = "chain";
    const sent = metrics.counter({
      area,
      name: "tx_sent",
      help: "Transactions broadcast (first broadcast of a nonce, replacements not counted), by label",
      labelNames: ["label"] as const,
    });
    const replacements = metrics.counter({
      area,
      name: "tx_replacements",
      help: "Fee-bump replacements broadcast for stuck transactions, by label",
      labelNames: ["label"] as const,
    });
    const mined = metrics.counter({
      area,
      name: "tx_mined",
      help: "Transactions mined and confirmed, by label and status (success, reverted)",
      labelNames: ["label", "status"] as const,
    });
    const failed = metrics.counter({
      area,
      name: "tx_failed",
      help: "Sends that failed, by label and error code (REVERTED, TX_TIMEOUT, INSUFFICIENT_FUNDS…)",
      labelNames: ["label", "code"] as const,
    });
    const gasUsed = metrics.counter({
      area,
      name: "tx_gas_used",
      help: "Gas used by mined transactions, by label",
      labelNames: ["label"] as const,
    });
    const receipt = metrics.histogram({
      area,
      name: "tx_receipt_duration",
      unit: "seconds",
      help: "Time from a transaction's first broadcast to its confirmed receipt, by label",
      labelNames: ["label"] as const,
      buckets: RECEIPT_BUCKETS,
    });
    const nonce = metrics.gauge({
      area,
      name: "tx_nonce",
      help: "Nonce of the latest transaction this node broadcast",
    });
    this.rpcErrors = metrics.counter({
      area,
      name: "rpc_errors",
      help: "Failed RPC calls (most are retried), by source (sender or a watcher's name) and error code",
      labelNames: ["source", "code"] as const,
    });
    this.inFlightGauge(metrics);

    this.sender = {
      onBroadcast: (e) => {
        const label = this.label(e.label);
        if (e.replacement === 0) {
          sent.inc({ label });
          nonce.set(e.nonce);
        } else {
          replacements.inc({ label });
        }
      },
      onMined: (e) => {
        const label = this.label(e.label);
        mined.inc({ label, status: e.status });
        gasUsed.inc({ label }, Number(e.gasUsed));
        receipt.observe({ label }, e.seconds);
      },
      onFailed: (e) => {
        failed.inc({ label: this.label(e.label), code: this.bounded("code", e.code) });
      },
      onRpcError: (code) => {
        this.rpcErrors.inc({ source: "sender", code: this.bounded("code", code) });
      },
    };

    this.watcherHead = metrics.gauge({
      area,
      name: "watcher_head_block",
      help: "Latest chain head a log watcher saw, by watcher",
      labelNames: ["watcher"] as const,
    });
    this.watcherProcessed = metrics.gauge({
      area,
      name: "watcher_processed_block",
      help: "Last block a log watcher fully processed and checkpointed, by watcher",
      labelNames: ["watcher"] as const,
    });
    this.watcherLag = metrics.gauge({
      area,
      name: "watcher_lag_blocks",
      help: "Confirmed blocks a log watcher has yet to process (0 when caught up), by watcher",
      labelNames: ["watcher"] as const,
    });
    this.watcherLogs = metrics.counter({
      area,
      name: "watcher_logs",
      help: "Logs a watcher handed to its handler successfully, by watcher",
      labelNames: ["watcher"] as const,
    });
    this.watcherHandlerErrors = metrics.counter({
      area,
      name: "watcher_handler_errors",
      help: "Times a watcher's handler threw (the log is retried), by watcher",
      labelNames: ["watcher"] as const,
    });
  }

  /** Reports `source`'s in-flight sends on every scrape (the daemon's `TxSender`). */
  observeSender(source: SenderHealthSource): void {
    this.senderSource = source;
  }

  /** Hooks for a log watcher (`deps.metrics`); `name` labels its series (`inference-requested`). */
  watcher(name: string): LogWatcherMetrics {
    const watcher = this.bounded("watcher", name);
    let confirmed: bigint | undefined;
    let processed: bigint | undefined;
    const lag = () => {
      if (confirmed === undefined || processed === undefined) return;
      this.watcherLag.set({ watcher }, Number(confirmed > processed ? confirmed - processed : 0n));
    };
    return {
      onHead: (head, confirmedHead) => {
        confirmed = confirmedHead;
        this.watcherHead.set({ watcher }, Number(head));
        lag();
      },
      onRange: (range) => {
        processed = range.toBlock;
        this.watcherProcessed.set({ watcher }, Number(range.toBlock));
        if (range.handled > 0) this.watcherLogs.inc({ watcher }, range.handled);
        lag();
      },
      onRpcError: (code) => {
        this.rpcErrors.inc({ source: watcher, code: this.bounded("code", code) });
      },
      onHandlerError: () => {
        this.watcherHandlerErrors.inc({ watcher });
      },
    };
  }

  /** `opg_chain_tx_in_flight`: read from the observed sender when scraped. */
  private inFlightGauge(metrics: Metrics): void {
    const spec = {
      area: "chain",
      name: "tx_in_flight",
      help: "Sends in progress (estimating, broadcast or waiting for a receipt)",
    };
    const name = metrics.metricName(spec, "gauge");
    // A rebuilt module takes the gauge over: its collect reads this instance's sender.
    if (metrics.registry.getSingleMetric(name) !== undefined) metrics.registry.removeSingleMetric(name);
    const self = this;
    new Gauge({
      name,
      help: spec.help,
      registers: [metrics.registry],
      collect() {
        const inFlight = self.senderSource?.health().inFlight;
        if (typeof inFlight === "number") this.set(inFlight);
      },
    });
  }

  /** The label's name part: `settleBatch(12)` counts as `settleBatch` (ids would grow the series). */
  private label(label: string | undefined): string {
    const name = label?.replace(/\(.*$/s, "").trim();
    return this.bounded("label", name ? name : "none");
  }

  /** `value`, or `other` once `kind` has taken `MAX_LABEL_VALUES` distinct values. */
  private bounded(kind: string, value: string): string {
    let seen = this.values.get(kind);
    if (seen === undefined) {
      seen = new Set();
      this.values.set(kind, seen);
    }
    if (seen.has(value)) return value;
    if (seen.size >= MAX_LABEL_VALUES) return "other";
    seen.add(value);
    return value;
  }
}
