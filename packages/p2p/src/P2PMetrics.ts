import { defineMetrics, type MetricsOf } from "@opg/daemon";

/** What happened to one inbound gossip message: gossipsub's verdict. */
export type MessageResult = "accept" | "reject" | "ignore";
/** What happened to one publish call. */
export type PublishResult = "ok" | "invalid" | "no_peers" | "error";

/** The p2p module's metrics (both daemons), registered by `P2PNode` on the daemon's registry. */
export const p2pMetricDefs = defineMetrics({
  /** Inbound messages by topic and verdict. */
  messages: {
    type: "counter",
    area: "p2p",
    name: "messages",
    help: "Inbound gossip messages by topic and validation result (accept, reject, ignore)",
    labelNames: ["topic", "result"],
  },
  /** Failed validations by topic and bounded error code. */
  validationErrors: {
    type: "counter",
    area: "p2p",
    name: "validation_errors",
    help: "Inbound gossip messages that failed validation, by topic and error code",
    labelNames: ["topic", "code"],
  },
  /** Time spent in the topic's validator (size check included). */
  validationDuration: {
    type: "histogram",
    area: "p2p",
    name: "validation_duration",
    unit: "seconds",
    help: "Time to validate one inbound gossip message, in seconds",
    labelNames: ["topic"],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  },
  /** Messages published by this node. */
  published: {
    type: "counter",
    area: "p2p",
    name: "published",
    help: "Gossip messages published by this node, by topic and result (ok, invalid, no_peers, error)",
    labelNames: ["topic", "result"],
  },
  /** Connected peers. */
  peers: { type: "gauge", area: "p2p", name: "peers", help: "Connected libp2p peers" },
  /** Peers in this node's gossipsub mesh, by topic. */
  meshPeers: {
    type: "gauge",
    area: "p2p",
    name: "mesh_peers",
    help: "Peers in this node's gossipsub mesh, by topic",
    labelNames: ["topic"],
  },
  /** Peers disconnected because their score fell below the graylist threshold. */
  graylistDisconnects: {
    type: "counter",
    area: "p2p",
    name: "graylist_disconnects",
    help: "Peers disconnected because their gossipsub score fell below the graylist threshold",
  },
  /** Inbound RPC frames over `maxRpcBytes` (their sender is penalised). */
  oversizedFrames: {
    type: "counter",
    area: "p2p",
    name: "oversized_frames",
    help: "Inbound gossipsub RPC frames over maxRpcBytes (the sender's stream is dropped and its score charged)",
  },
  /** Payload fetches from one peer, by result (ok, not_held, mismatch, failed). */
  payloadFetches: {
    type: "counter",
    area: "p2p",
    name: "payload_fetches",
    help: "Payload fetches from one peer by result (ok, not_held, mismatch, failed)",
    labelNames: ["result"],
  },
  /** Result fetches (by result hash) from one peer, by result (ok, not_held, mismatch, failed). */
  resultFetches: {
    type: "counter",
    area: "p2p",
    name: "result_fetches",
    help: "Result message fetches (by result hash) from one peer by result (ok, not_held, mismatch, failed)",
    labelNames: ["result"],
  },
});

/** The p2p module's registered metrics. */
export type P2PMetrics = MetricsOf<typeof p2pMetricDefs>;
