import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Registry,
} from "prom-client";

/** What happened to one inbound gossip message: gossipsub's verdict. */
export type MessageResult = "accept" | "reject" | "ignore";
/** What happened to one publish call. */
export type PublishResult = "ok" | "invalid" | "no_peers" | "error";

/**
 * The p2p module's metrics, registered on an injected prom-client registry. Registering twice on
 * the same registry (a node restarted with a new `P2PNode`) reuses the existing metrics.
 */
export class P2PMetrics {
  /** Inbound messages by topic and verdict. */
  readonly messages: Counter<"topic" | "result">;
  /** Failed validations by topic and bounded error code. */
  readonly validationErrors: Counter<"topic" | "code">;
  /** Time spent in the topic's validator (size check included). */
  readonly validationDuration: Histogram<"topic">;
  /** Messages published by this node. */
  readonly published: Counter<"topic" | "result">;
  /** Connected peers. */
  readonly peers: Gauge;
  /** Peers in this node's gossipsub mesh, by topic. */
  readonly meshPeers: Gauge<"topic">;
  /** Peers disconnected because their score fell below the graylist threshold. */
  readonly graylistDisconnects: Counter;
  /** Inbound RPC frames over `maxRpcBytes` (their sender is penalised). */
  readonly oversizedFrames: Counter;
  /** Payload fetches from one peer, by result (ok, not_held, mismatch, failed). */
  readonly payloadFetches: Counter<"result">;

  constructor(registry: Registry) {
    this.messages = counter(registry, {
      name: "opg_p2p_messages_total",
      help: "Inbound gossip messages by topic and validation result (accept, reject, ignore)",
      labelNames: ["topic", "result"] as const,
    });
    this.validationErrors = counter(registry, {
      name: "opg_p2p_validation_errors_total",
      help: "Inbound gossip messages that failed validation, by topic and error code",
      labelNames: ["topic", "code"] as const,
    });
    this.validationDuration = histogram(registry, {
      name: "opg_p2p_validation_duration_seconds",
      help: "Time to validate one inbound gossip message, in seconds",
      labelNames: ["topic"] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    this.published = counter(registry, {
      name: "opg_p2p_published_total",
      help: "Gossip messages published by this node, by topic and result (ok, invalid, no_peers, error)",
      labelNames: ["topic", "result"] as const,
    });
    this.peers = gauge(registry, { name: "opg_p2p_peers", help: "Connected libp2p peers" });
    this.meshPeers = gauge(registry, {
      name: "opg_p2p_mesh_peers",
      help: "Peers in this node's gossipsub mesh, by topic",
      labelNames: ["topic"] as const,
    });
    this.graylistDisconnects = counter(registry, {
      name: "opg_p2p_graylist_disconnects_total",
      help: "Peers disconnected because their gossipsub score fell below the graylist threshold",
    });
    this.oversizedFrames = counter(registry, {
      name: "opg_p2p_oversized_frames_total",
      help: "Inbound gossipsub RPC frames over maxRpcBytes (the sender's stream is dropped and its score charged)",
    });
    this.payloadFetches = counter(registry, {
      name: "opg_p2p_payload_fetches_total",
      help: "Payload fetches from one peer by result (ok, not_held, mismatch, failed)",
      labelNames: ["result"] as const,
    });
  }
}

function counter<T extends string>(registry: Registry, config: CounterConfiguration<T>): Counter<T> {
  const existing = registry.getSingleMetric(config.name);
  return existing instanceof Counter
    ? (existing as Counter<T>)
    : new Counter({ ...config, registers: [registry] });
}

function gauge<T extends string>(registry: Registry, config: GaugeConfiguration<T>): Gauge<T> {
  const existing = registry.getSingleMetric(config.name);
  return existing instanceof Gauge ? (existing as Gauge<T>) : new Gauge({ ...config, registers: [registry] });
}

function histogram<T extends string>(registry: Registry, config: HistogramConfiguration<T>): Histogram<T> {
  const existing = registry.getSingleMetric(config.name);
  return existing instanceof Histogram
    ? (existing as Histogram<T>)
    : new Histogram({ ...config, registers: [registry] });
}
