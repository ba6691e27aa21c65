import type { LogWatcherMetrics, TxSenderMetrics } from "@opg/chain";
import type { Metrics, MetricsOf } from "@opg/daemon";
import { type Counter, Gauge } from "prom-client";
import { chainTxMetricDefs, chainWatcherMetricDefs } from "./chainMetricDefs.js";

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
  /** Registered with the first watcher (a daemon without watchers exports none of them). */
  private watchers: MetricsOf<typeof chainWatcherMetricDefs> | undefined;
  /** Label values seen so far, by label kind (the cardinality guard). */
  private readonly values = new Map<string, Set<string>>();
  private senderSource: SenderHealthSource | undefined;

  constructor(private readonly metrics: Metrics) {
    // tx_in_flight is collected on scrape (inFlightGauge); the rest are recorded by the hooks below.
    const { txInFlight: _collected, ...recorded } = chainTxMetricDefs;
    const m = metrics.register(recorded);
    this.rpcErrors = m.rpcErrors;
    this.inFlightGauge(metrics);

    this.sender = {
      onBroadcast: (e) => {
        const label = this.label(e.label);
        if (e.replacement === 0) {
          m.txSent.inc({ label });
          m.txNonce.set(e.nonce);
        } else {
          m.txReplacements.inc({ label });
        }
      },
      onMined: (e) => {
        const label = this.label(e.label);
        m.txMined.inc({ label, status: e.status });
        m.txGasUsed.inc({ label }, Number(e.gasUsed));
        m.txReceiptDuration.observe({ label }, e.seconds);
      },
      onFailed: (e) => {
        m.txFailed.inc({ label: this.label(e.label), code: this.bounded("code", e.code) });
      },
      onRpcError: (code) => {
        this.rpcErrors.inc({ source: "sender", code: this.bounded("code", code) });
      },
    };
  }

  /** Reports `source`'s in-flight sends on every scrape (the daemon's `TxSender`). */
  observeSender(source: SenderHealthSource): void {
    this.senderSource = source;
  }

  /** Hooks for a log watcher (`deps.metrics`); `name` labels its series (`inference-requested`). */
  watcher(name: string): LogWatcherMetrics {
    const watcher = this.bounded("watcher", name);
    this.watchers ??= this.metrics.register(chainWatcherMetricDefs);
    const m = this.watchers;
    let confirmed: bigint | undefined;
    let processed: bigint | undefined;
    const lag = () => {
      if (confirmed === undefined || processed === undefined) return;
      m.lag.set({ watcher }, Number(confirmed > processed ? confirmed - processed : 0n));
    };
    return {
      onHead: (head, confirmedHead) => {
        confirmed = confirmedHead;
        m.head.set({ watcher }, Number(head));
        lag();
      },
      onRange: (range) => {
        processed = range.toBlock;
        m.processed.set({ watcher }, Number(range.toBlock));
        if (range.handled > 0) m.logs.inc({ watcher }, range.handled);
        lag();
      },
      onRpcError: (code) => {
        this.rpcErrors.inc({ source: watcher, code: this.bounded("code", code) });
      },
      onHandlerError: () => {
        m.handlerErrors.inc({ watcher });
      },
    };
  }

  /** `opg_chain_tx_in_flight`: read from the observed sender when scraped. */
  private inFlightGauge(metrics: Metrics): void {
    const spec = chainTxMetricDefs.txInFlight;
    const name = metrics.metricName(spec, spec.type);
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
