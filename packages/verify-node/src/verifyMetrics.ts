import { defineMetrics, httpMetricDefs, type MetricCatalog, type Metrics, type MetricsOf } from "@opg/daemon";
import { p2pMetricDefs } from "@opg/p2p";
import { chainTxMetricDefs, feesMetricDefs } from "@opg/runtime";

/** opg-verify's own metrics (`opg_verify_*`): its modules take them, or `null` when metrics are off. */
export const verifyMetricDefs = defineMetrics({
  /** ResultValidator: outcome of each validation step. */
  validationSteps: {
    type: "counter",
    area: "verify",
    name: "validation_steps",
    help: "Outcomes of each validation step (ok, reject, ignore) with the error code.",
    labelNames: ["step", "result", "code"],
  },
  /** ResultValidator: time in each validation step, one run in STEP_TIMING_SAMPLE (8) timed. */
  validationStepDuration: {
    type: "histogram",
    area: "verify",
    name: "validation_step_duration",
    unit: "seconds",
    help: "Time spent in each validation step, sampled: one run of each step in 8 is timed (every run is counted in opg_verify_validation_steps_total).",
    labelNames: ["step"],
  },
  /** ResultIntake. */
  resultsVerified: {
    type: "counter",
    area: "verify",
    name: "results_verified",
    help: "Results verified and stored.",
  },
  /** ResultIntake. */
  resultsDeferred: {
    type: "counter",
    area: "verify",
    name: "results_deferred",
    help: "Results kept to check again because the chain was unreachable.",
  },
  /** MissingResults: results a proposal lists, fetched by hash from peers. */
  resultsFetched: {
    type: "counter",
    area: "verify",
    name: "results_fetched",
    help: "Results a batch proposal lists that gossip had not brought, fetched by hash (ok, deferred, not_found).",
    labelNames: ["result"],
  },
  /** ZkProofVerifier. */
  zkBatchSize: {
    type: "histogram",
    area: "verify",
    name: "zk_batch_size",
    help: "ZK proofs per batched pairing check.",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  },
  /** ZkProofVerifier. */
  zkBatchDuration: {
    type: "histogram",
    area: "verify",
    name: "zk_batch_duration",
    unit: "seconds",
    help: "Time to verify one batch of ZK proofs (including finding the invalid ones).",
  },
  /** EnclaveRegistrar. */
  enclaveRegistrationsSigned: {
    type: "counter",
    area: "verify",
    name: "enclave_registrations_signed",
    help: "EnclaveRegistration signatures this node made (its own proposals and peers').",
  },
  /** EnclaveRegistrar. */
  enclaveRegistrationsSubmitted: {
    type: "counter",
    area: "verify",
    name: "enclave_registrations_submitted",
    help: "Enclave key registrations this node submitted and saw mined.",
  },
  /** BatchCoordinator. */
  batchesSettled: {
    type: "counter",
    area: "verify",
    name: "batches_settled",
    help: "Batches this node submitted and saw mined.",
  },
  /** BatchCoordinator. */
  batchesSigned: {
    type: "counter",
    area: "verify",
    name: "batches_signed",
    help: "Batch roots this node signed, as leader or follower.",
    labelNames: ["role"],
  },
  /** BatchCoordinator. */
  lastSettledBatch: {
    type: "gauge",
    area: "verify",
    name: "last_settled_batch",
    help: "Sequence number of the last batch settled on chain, as this node knows it.",
  },
  /** BatchCoordinator. */
  batchRound: {
    type: "gauge",
    area: "verify",
    name: "batch_round",
    help: "Agreement round this node is in for the next batch (0: the first leader's).",
  },
  /** BatchCoordinator. */
  batchResigned: {
    type: "counter",
    area: "verify",
    name: "batch_resigned",
    help: "Batches signed again because the verifier set changed before they settled.",
  },
});

/** opg-verify's registered metrics, as its modules take them. */
export type VerifyMetrics = MetricsOf<typeof verifyMetricDefs>;

/**
 * Every metric opg-verify exports, by group (Node.js process metrics aside): docs/metrics.md is
 * generated from it and the Grafana dashboard is checked against it.
 */
export const verifyMetricsCatalog = {
  http: httpMetricDefs,
  p2p: p2pMetricDefs,
  chain: chainTxMetricDefs,
  fees: feesMetricDefs("verify"),
  verify: verifyMetricDefs,
} as const satisfies MetricCatalog;

/** Registers opg-verify's own metrics on the daemon's registry. */
export function createVerifyMetrics(metrics: Metrics): VerifyMetrics {
  return metrics.register(verifyMetricDefs);
}
