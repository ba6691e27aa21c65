import { defineMetrics, httpMetricDefs, type MetricCatalog, type Metrics, type MetricsOf } from "@opg/daemon";
import { inferenceMetricDefs } from "@opg/inference";
import { p2pMetricDefs } from "@opg/p2p";
import { chainTxMetricDefs, chainWatcherMetricDefs, feesMetricDefs } from "@opg/runtime";

/** opg-exec's own metrics (`opg_exec_*`): its modules take them, or `null` when metrics are off. */
export const execMetricDefs = defineMetrics({
  /** ExecutorCore: requests executed, by proof mode and result. */
  requests: {
    type: "counter",
    area: "exec",
    name: "requests",
    help: "Requests executed, by proof mode and result.",
    labelNames: ["mode", "result"],
  },
  /** ExecutorCore: hashing, signing, storing and publishing one result. */
  signPublishDuration: {
    type: "histogram",
    area: "exec",
    name: "sign_publish_duration",
    unit: "seconds",
    help: "Hashing, signing, storing and publishing one result.",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
  },
  /** Deliverer: on-chain requests tracked for delivery, by outcome. */
  deliveries: {
    type: "counter",
    area: "exec",
    name: "deliveries",
    help: "On-chain requests this executor tracked for delivery, by outcome.",
    labelNames: ["outcome"],
  },
  /** Deliverer: from execution to the delivery transaction being mined. */
  deliveryLatency: {
    type: "histogram",
    area: "exec",
    name: "delivery_latency",
    unit: "seconds",
    help: "From execution to this executor's delivery transaction being mined.",
  },
});

/** opg-exec's registered metrics, as its modules take them. */
export type ExecMetrics = MetricsOf<typeof execMetricDefs>;

/**
 * Every metric opg-exec exports, by group (Node.js process metrics aside): docs/metrics.md is
 * generated from it and the Grafana dashboard is checked against it.
 */
export const execMetricsCatalog = {
  http: httpMetricDefs,
  p2p: p2pMetricDefs,
  chain: chainTxMetricDefs,
  chainWatcher: chainWatcherMetricDefs,
  fees: feesMetricDefs("exec"),
  inference: inferenceMetricDefs,
  exec: execMetricDefs,
} as const satisfies MetricCatalog;

/** Registers opg-exec's own metrics on the daemon's registry. */
export function createExecMetrics(metrics: Metrics): ExecMetrics {
  return metrics.register(execMetricDefs);
}
