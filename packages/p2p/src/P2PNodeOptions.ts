import { peerIdFromString } from "@libp2p/peer-id";
import { CODE_P2P, multiaddr } from "@multiformats/multiaddr";
import { P2PError } from "./P2PError.js";
import { defaultPayloadExchangeOptions, type PayloadExchangeOptions } from "./PayloadExchange.js";

/** Gossipsub mesh parameters (see the gossipsub v1.1 spec for their meaning). */
export type P2PGossipOptions = {
  /** Target mesh degree per topic. */
  D: number;
  /** Graft peers when the mesh is smaller than this. */
  Dlo: number;
  /** Prune peers when the mesh is larger than this. */
  Dhi: number;
  /** Peers kept by score when pruning. */
  Dscore: number;
  /** Outbound connections kept in the mesh; must be < Dlo and <= D / 2. */
  Dout: number;
  /** Peers gossiped to (IHAVE) per heartbeat. */
  Dlazy: number;
  /** Heartbeat interval: mesh maintenance, gossip, score upkeep, graylist disconnects. */
  heartbeatIntervalMs: number;
  /** Heartbeats an accepted message stays in the cache (served to IWANT requests). */
  mcacheLength: number;
  /** Heartbeats of history gossiped in IHAVE. */
  mcacheGossip: number;
  /** How long seen message ids are remembered (duplicate suppression). */
  seenTTLMs: number;
  /** Send own messages to every subscribed peer above the publish threshold, not only the mesh. */
  floodPublish: boolean;
};

/** Peer-scoring parameters, applied to every topic the node scores. */
export type P2PScoringOptions = {
  /** Weight of each topic in the peer score. */
  topicWeight: number;
  /** P4: weight of the squared count of REJECTed messages (negative). */
  invalidMessageDeliveriesWeight: number;
  /** P4: per-decay-interval (1 s) decay of that count. */
  invalidMessageDeliveriesDecay: number;
  /** P2: weight of first deliveries of valid messages (positive). */
  firstMessageDeliveriesWeight: number;
  firstMessageDeliveriesDecay: number;
  firstMessageDeliveriesCap: number;
  /** P1: weight per quantum of time in the mesh (positive). */
  timeInMeshWeight: number;
  timeInMeshQuantumMs: number;
  timeInMeshCap: number;
  /** Cap on the positive part of the topic scores. */
  topicScoreCap: number;
  /** P7: weight of the squared excess of protocol misbehaviour (negative). */
  behaviourPenaltyWeight: number;
  behaviourPenaltyThreshold: number;
  behaviourPenaltyDecay: number;
  /** Below this score no gossip is exchanged with the peer. */
  gossipThreshold: number;
  /** Below this score own messages are not published to the peer. */
  publishThreshold: number;
  /** Below this score all RPCs from the peer are ignored. */
  graylistThreshold: number;
  /** Hang up on peers below the graylist threshold and refuse their connections while they stay there. */
  disconnectGraylisted: boolean;
  /**
   * P6, counted by opg (gossipsub's own P6 is off): non-exempt peers connected from one IP beyond
   * this many each score `ipColocationWeight` · surplus². Static and exempt peers neither count nor pay.
   */
  ipColocationThreshold: number;
  ipColocationWeight: number;
  /** IGNOREd messages a peer may send (decayed count) before each costs score; see `PeerPenalties`. */
  ignoreAllowance: number;
  /** Score per squared IGNORE above the allowance (negative). */
  ignoreWeight: number;
  /** Per-second decay of the IGNORE count. */
  ignoreDecay: number;
  /** Score per squared RPC frame over `maxRpcBytes` (negative). */
  oversizedFrameWeight: number;
  /** Per-second decay of the oversized-frame count. */
  oversizedFrameDecay: number;
  /** How long gossipsub keeps the score of a peer that left (a graylisted peer stays refused that long at most). */
  retainScoreMs: number;
};

export type P2PNodeOptions = {
  /** Chain whose topics (`topicsFor(chainId)`) this node scores and allows. */
  chainId: number;
  /** File holding the node's libp2p private key (protobuf); created with mode 0600 on first start. */
  peerKeyPath: string;
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/9000` (`/tcp/0` picks a free port). */
  listenAddresses: string[];
  /** Multiaddrs announced to peers instead of the listen addresses (NAT, containers); empty: none. */
  announceAddresses: string[];
  /** Peers dialled once at start (`/…/p2p/<peerId>`), through @libp2p/bootstrap. */
  bootstrapPeers: string[];
  /** Delay before the bootstrap peers are dialled. */
  bootstrapDelayMs: number;
  /** Peers kept connected (`/…/p2p/<peerId>`): dialled at start and redialled with backoff when they drop. */
  staticPeers: string[];
  /** First redial delay for a static peer; doubles per failed attempt. */
  reconnectMinBackoffMs: number;
  /** Ceiling of the static-peer redial delay. */
  reconnectMaxBackoffMs: number;
  /**
   * Peer ids trusted like static peers without being dialled: exempt from IP-colocation scoring and
   * never refused by the connection gater (their messages are still validated and scored).
   */
  exemptPeers: string[];
  /** Connections above which libp2p prunes (static peers are tagged to be kept). */
  maxConnections: number;
  /** `publish` resolves with 0 instead of throwing `NoTopicPeersError` when no peer is subscribed. */
  allowPublishToZeroPeers: boolean;
  /** Default per-topic cap on message bytes, checked before validation and before publishing. */
  maxMessageBytes: number;
  /**
   * Cap on one inbound gossipsub RPC frame (gossipsub's `maxInboundDataLength`); a larger frame
   * drops that peer's stream. An IWANT reply can bundle several messages, so keep it a few times
   * `maxMessageBytes`.
   */
  maxRpcBytes: number;
  /**
   * Inbound messages validated concurrently, per topic (each topic has its own budget, so a flood
   * on one never starves another); beyond that they are IGNOREd (load shedding).
   */
  maxPendingValidations: number;
  /** Payloads on demand (`PAYLOAD_PROTOCOL`): largest payload, fetch timeout, concurrent serves. */
  payloads: PayloadExchangeOptions;
  gossip: P2PGossipOptions;
  scoring: P2PScoringOptions;
};

/** What the constructor accepts: `chainId` and `peerKeyPath`, the rest defaults (one level deep). */
export type P2PNodeInit = Pick<P2PNodeOptions, "chainId" | "peerKeyPath"> &
  Partial<Omit<P2PNodeOptions, "chainId" | "peerKeyPath" | "gossip" | "scoring" | "payloads">> & {
    payloads?: Partial<PayloadExchangeOptions>;
    gossip?: Partial<P2PGossipOptions>;
    scoring?: Partial<P2PScoringOptions>;
  };

export const defaultP2PGossipOptions: P2PGossipOptions = {
  D: 6,
  Dlo: 4,
  Dhi: 12,
  Dscore: 4,
  Dout: 2,
  Dlazy: 6,
  heartbeatIntervalMs: 1000,
  mcacheLength: 5,
  mcacheGossip: 3,
  seenTTLMs: 120_000,
  floodPublish: true,
};

/**
 * Chosen so that an honest peer's positive score is capped at +10 (topicScoreCap) while each
 * REJECTed message costs 20·n² (n = decayed count): one invalid message stops gossip with the peer
 * at worst, two stop publishing to it, three put any peer under the graylist threshold (-80).
 * The count decays by 0.3 % per second (half-life about 4 minutes).
 *
 * What outsiders must not be able to turn against honest nodes (docs/protocol.md, "Peer scoring"):
 * - IP colocation is counted over connected, non-exempt peers only: 9+ unknown ids on one address
 *   cost those ids −5·surplus² each; static/exempt peers on that address are untouched.
 * - IGNOREs cost nothing up to a decayed count of 50 (a steady 2.5/s), then −0.05·excess² each
 *   (about 95 IGNOREs in a burst graylist the sender); the count halves in about 14 s.
 * - An RPC frame over `maxRpcBytes` costs −50·n²: one reaches the publish threshold, two graylist.
 * - A score is retained 10 minutes after a peer leaves (gossipsub's default is an hour).
 */
export const defaultP2PScoringOptions: P2PScoringOptions = {
  topicWeight: 1,
  invalidMessageDeliveriesWeight: -20,
  invalidMessageDeliveriesDecay: 0.997,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 10,
  timeInMeshWeight: 0.01,
  timeInMeshQuantumMs: 1000,
  timeInMeshCap: 300,
  topicScoreCap: 10,
  behaviourPenaltyWeight: -10,
  behaviourPenaltyThreshold: 6,
  behaviourPenaltyDecay: 0.9,
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  disconnectGraylisted: true,
  ipColocationThreshold: 8,
  ipColocationWeight: -5,
  ignoreAllowance: 50,
  ignoreWeight: -0.05,
  ignoreDecay: 0.95,
  oversizedFrameWeight: -50,
  oversizedFrameDecay: 0.99,
  retainScoreMs: 600_000,
};

export const defaultP2PNodeOptions: Omit<P2PNodeOptions, "chainId" | "peerKeyPath"> = {
  listenAddresses: ["/ip4/0.0.0.0/tcp/9000"],
  announceAddresses: [],
  bootstrapPeers: [],
  bootstrapDelayMs: 1000,
  staticPeers: [],
  exemptPeers: [],
  reconnectMinBackoffMs: 1000,
  reconnectMaxBackoffMs: 60_000,
  maxConnections: 100,
  allowPublishToZeroPeers: false,
  maxMessageBytes: 1024 * 1024,
  maxRpcBytes: 4 * 1024 * 1024,
  maxPendingValidations: 1024,
  payloads: defaultPayloadExchangeOptions,
  gossip: defaultP2PGossipOptions,
  scoring: defaultP2PScoringOptions,
};

/** Merges `init` over the defaults and validates the result once, with a message per problem. */
export function resolveP2PNodeOptions(init: P2PNodeInit): P2PNodeOptions {
  const options: P2PNodeOptions = {
    ...defaultP2PNodeOptions,
    ...init,
    payloads: { ...defaultPayloadExchangeOptions, ...init.payloads },
    gossip: { ...defaultP2PGossipOptions, ...init.gossip },
    scoring: { ...defaultP2PScoringOptions, ...init.scoring },
  };
  const problems = validate(options);
  if (problems.length > 0) {
    throw new P2PError("INVALID_OPTIONS", "Invalid p2p options.", { details: problems.join("; ") });
  }
  return options;
}

function validate(o: P2PNodeOptions): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  const positiveInt = (value: number, name: string): void =>
    check(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer (got ${value})`);

  check(
    Number.isSafeInteger(o.chainId) && o.chainId > 0,
    `chainId must be a positive integer (got ${o.chainId})`,
  );
  check(o.peerKeyPath.length > 0, "peerKeyPath must not be empty");
  check(o.listenAddresses.length > 0, "listenAddresses must not be empty");
  for (const addr of [...o.listenAddresses, ...o.announceAddresses]) {
    check(parses(addr), `not a multiaddr: ${addr}`);
  }
  for (const [name, list] of [
    ["bootstrapPeers", o.bootstrapPeers],
    ["staticPeers", o.staticPeers],
  ] as const) {
    for (const addr of list) {
      check(
        parses(addr) && hasPeerId(addr),
        `${name} entry must be a multiaddr ending in /p2p/<peerId>: ${addr}`,
      );
    }
  }
  for (const id of o.exemptPeers) check(isPeerId(id), `exemptPeers entry must be a peer id: ${id}`);
  check(o.bootstrapDelayMs >= 0, "bootstrapDelayMs must be >= 0");
  positiveInt(o.reconnectMinBackoffMs, "reconnectMinBackoffMs");
  check(
    o.reconnectMaxBackoffMs >= o.reconnectMinBackoffMs,
    "reconnectMaxBackoffMs must be >= reconnectMinBackoffMs",
  );
  positiveInt(o.maxConnections, "maxConnections");
  positiveInt(o.maxMessageBytes, "maxMessageBytes");
  positiveInt(o.maxRpcBytes, "maxRpcBytes");
  check(o.maxRpcBytes > o.maxMessageBytes, "maxRpcBytes must exceed maxMessageBytes (RPC framing overhead)");
  positiveInt(o.maxPendingValidations, "maxPendingValidations");
  positiveInt(o.payloads.maxPayloadBytes, "payloads.maxPayloadBytes");
  positiveInt(o.payloads.fetchTimeoutMs, "payloads.fetchTimeoutMs");
  positiveInt(o.payloads.maxConcurrentServes, "payloads.maxConcurrentServes");
  positiveInt(o.payloads.maxServesPerPeer, "payloads.maxServesPerPeer");

  const g = o.gossip;
  for (const key of [
    "D",
    "Dlo",
    "Dhi",
    "Dscore",
    "Dlazy",
    "heartbeatIntervalMs",
    "mcacheLength",
    "seenTTLMs",
  ] as const) {
    positiveInt(g[key], `gossip.${key}`);
  }
  check(Number.isSafeInteger(g.Dout) && g.Dout >= 0, "gossip.Dout must be an integer >= 0");
  check(g.Dlo <= g.D && g.D <= g.Dhi, "gossip: Dlo <= D <= Dhi is required");
  check(g.Dscore <= g.Dhi, "gossip: Dscore <= Dhi is required");
  check(g.Dout < g.Dlo && g.Dout <= g.D / 2, "gossip: Dout < Dlo and Dout <= D / 2 are required");
  check(
    g.mcacheGossip > 0 && g.mcacheGossip <= g.mcacheLength,
    "gossip: 0 < mcacheGossip <= mcacheLength is required",
  );

  const s = o.scoring;
  check(s.topicWeight >= 0, "scoring.topicWeight must be >= 0");
  check(s.invalidMessageDeliveriesWeight < 0, "scoring.invalidMessageDeliveriesWeight must be negative");
  for (const key of [
    "invalidMessageDeliveriesDecay",
    "firstMessageDeliveriesDecay",
    "behaviourPenaltyDecay",
    "ignoreDecay",
    "oversizedFrameDecay",
  ] as const) {
    check(s[key] > 0 && s[key] < 1, `scoring.${key} must be between 0 and 1`);
  }
  check(s.firstMessageDeliveriesWeight >= 0, "scoring.firstMessageDeliveriesWeight must be >= 0");
  check(s.firstMessageDeliveriesCap > 0, "scoring.firstMessageDeliveriesCap must be > 0");
  check(s.timeInMeshWeight >= 0, "scoring.timeInMeshWeight must be >= 0");
  check(
    s.timeInMeshQuantumMs > 0 && s.timeInMeshCap > 0,
    "scoring.timeInMeshQuantumMs and timeInMeshCap must be > 0",
  );
  check(s.topicScoreCap >= 0, "scoring.topicScoreCap must be >= 0");
  check(s.behaviourPenaltyWeight <= 0, "scoring.behaviourPenaltyWeight must be <= 0");
  check(s.ipColocationWeight <= 0, "scoring.ipColocationWeight must be <= 0");
  check(s.ipColocationThreshold >= 1, "scoring.ipColocationThreshold must be >= 1");
  check(s.ignoreAllowance >= 0, "scoring.ignoreAllowance must be >= 0");
  check(
    s.ignoreWeight <= 0 && s.oversizedFrameWeight <= 0,
    "scoring.ignoreWeight and oversizedFrameWeight must be <= 0",
  );
  check(s.retainScoreMs >= 0, "scoring.retainScoreMs must be >= 0");
  check(
    s.gossipThreshold <= 0 &&
      s.publishThreshold <= s.gossipThreshold &&
      s.graylistThreshold <= s.publishThreshold,
    "scoring: graylistThreshold <= publishThreshold <= gossipThreshold <= 0 is required",
  );
  return problems;
}

function parses(addr: string): boolean {
  try {
    multiaddr(addr);
    return true;
  } catch {
    return false;
  }
}

function isPeerId(id: string): boolean {
  try {
    peerIdFromString(id);
    return true;
  } catch {
    return false;
  }
}

function hasPeerId(addr: string): boolean {
  return multiaddr(addr)
    .getComponents()
    .some((c) => c.code === CODE_P2P && c.value !== undefined);
}
