import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { bootstrap } from "@libp2p/bootstrap";
import { type GossipSub, gossipsub, StrictNoSign } from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import { type Connection, type Libp2p, type PeerId, TypedEventEmitter } from "@libp2p/interface";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import type { Multiaddr } from "@multiformats/multiaddr";
import { Metrics } from "@opg/daemon";
import { type Logger, noopLogger, WIRE_LIMITS } from "@opg/protocol";
import { createLibp2p } from "libp2p";
import { checkMessageSize } from "./checkMessageSize.js";
import { createScoreParams, createScoreThresholds } from "./createScoreParams.js";
import { asGossipSubService, type GossipSubService } from "./GossipSubService.js";
import { frameGossip } from "./gossipFrame.js";
import { gossipMessageId, gossipMessageIdString } from "./gossipMessageId.js";
import { IpColocation } from "./IpColocation.js";
import { loadOrCreatePeerKey } from "./loadOrCreatePeerKey.js";
import { MessagePipeline, type ValidationOutcome } from "./MessagePipeline.js";
import { NoTopicPeersError, P2PError } from "./P2PError.js";
import { type P2PMetrics, p2pMetricDefs } from "./P2PMetrics.js";
import { type P2PNodeInit, type P2PNodeOptions, resolveP2PNodeOptions } from "./P2PNodeOptions.js";
import { PayloadExchange, type PayloadLookup, RESULT_PROTOCOL } from "./PayloadExchange.js";
import { PeerPenalties } from "./PeerPenalties.js";
import { StaticPeerDialer } from "./StaticPeerDialer.js";
import type {
  SubscribeOptions,
  TopicHandler,
  TopicSubscription,
  TopicValidator,
} from "./TopicSubscription.js";
import { type OpgTopics, topicsFor } from "./topicsFor.js";
import { watchOversizedFrames } from "./watchOversizedFrames.js";

/** The libp2p services a `P2PNode` runs. */
export type P2PServices = { identify: Identify; ping: Ping; pubsub: GossipSub };

/** Injected dependencies (docs/conventions.md): a pino-compatible logger and the daemon's metrics. */
export type P2PNodeDeps = {
  logger?: Logger;
  /** The daemon's metrics; the node registers `p2pMetricDefs` there (a private registry without). */
  metrics?: Metrics | undefined;
};

export type PublishOptions = {
  /**
   * Validator to run before publishing when this node is not subscribed to the topic (when it is,
   * the subscription's validator runs). Pass the same validator peers use, so a node never
   * publishes what it would reject.
   */
  validator?: TopicValidator<unknown>;
  /** Size cap when not subscribed (default: the node's `maxMessageBytes`). */
  maxBytes?: number;
};

/** Events a `P2PNode` emits. */
export type P2PNodeEvents = {
  /** An inbound message got its verdict (after metrics, before the handler runs). */
  "message:validated": CustomEvent<ValidationOutcome>;
  /** A peer's score fell below the graylist threshold and the node is hanging up on it. */
  "peer:graylisted": CustomEvent<{ peerId: PeerId; score: number }>;
};

type Running = {
  libp2p: Libp2p<P2PServices>;
  gossipsub: GossipSubService;
  pipeline: MessagePipeline;
  dialer: StaticPeerDialer;
  /** Aborted on stop: ends pending `waitForTopicPeers`. */
  stopped: AbortController;
  hangingUp: Set<string>;
  colocation: IpColocation;
  penalties: PeerPenalties;
  payloads: PayloadExchange;
  results: PayloadExchange;
};

/**
 * The opg libp2p node: TCP + noise + yamux, identify, ping, gossipsub on the chain's topics with
 * strict signing, one validation pipeline, peer scoring that graylists and disconnects peers
 * sending invalid messages, a persistent peer key, bootstrap and static peers.
 */
export class P2PNode extends TypedEventEmitter<P2PNodeEvents> {
  readonly options: P2PNodeOptions;
  /** This chain's topics; the only ones the node subscribes to, publishes on or scores. */
  readonly topics: OpgTopics;
  private readonly allowedTopics: readonly string[];
  private readonly logger: Logger;
  private readonly metrics: P2PMetrics;
  private readonly subscriptions = new Map<string, TopicSubscription>();
  private running: Running | undefined;
  private starting = false;
  private payloadLookup: PayloadLookup | undefined;
  private resultLookup: PayloadLookup | undefined;
  /** Static and exempt peers: never refused, never charged for sharing an address. */
  private readonly trusted: ReadonlySet<string>;

  constructor(init: P2PNodeInit, deps: P2PNodeDeps = {}) {
    super();
    this.options = resolveP2PNodeOptions(init);
    this.topics = topicsFor(this.options.chainId);
    this.allowedTopics = Object.values(this.topics);
    this.logger = (deps.logger ?? noopLogger).child({ module: "p2p" });
    this.metrics = (deps.metrics ?? new Metrics({ defaultMetrics: false })).register(p2pMetricDefs);
    this.trusted = new Set([
      ...this.options.exemptPeers,
      ...this.options.staticPeers.map((a) => a.slice(a.lastIndexOf("/p2p/") + 5)),
    ]);
  }

  /** Whether `peerId` is a static or exempt peer (trusted not to be an attacker's spare id). */
  isTrusted(peerId: PeerId | string): boolean {
    return this.trusted.has(peerId.toString());
  }

  /** The part of a peer's score opg adds (IP colocation, IGNORE floods, oversized frames); ≤ 0. */
  appScore(peerId: PeerId | string): number {
    const r = this.require();
    const id = peerId.toString();
    return r.colocation.score(id) + r.penalties.score(id);
  }

  /** This node's PeerId (stable across restarts: derived from the persisted key). */
  get peerId(): PeerId {
    return this.require().libp2p.peerId;
  }

  /** The addresses the node listens on (actual ports once started), each ending in /p2p/<peerId>. */
  get multiaddrs(): Multiaddr[] {
    return this.require().libp2p.getMultiaddrs();
  }

  /** The underlying libp2p node (escape hatch for tests and diagnostics). */
  get libp2p(): Libp2p<P2PServices> {
    return this.require().libp2p;
  }

  get isStarted(): boolean {
    return this.running !== undefined;
  }

  /** Connected peers. */
  peers(): PeerId[] {
    return this.require().libp2p.getPeers();
  }

  /** A peer's current gossipsub score (0 for unknown peers). */
  peerScore(peerId: PeerId): number {
    return this.require().gossipsub.getScore(peerId.toString());
  }

  async start(): Promise<void> {
    if (this.running !== undefined || this.starting) {
      throw new P2PError("ALREADY_STARTED", "The p2p node is already started.");
    }
    this.starting = true;
    try {
      await this.startLibp2p();
    } finally {
      this.starting = false;
    }
  }

  private async startLibp2p(): Promise<void> {
    const o = this.options;
    const { privateKey, created } = await loadOrCreatePeerKey(o.peerKeyPath);
    const s = o.scoring;
    const colocation = new IpColocation((id) => this.trusted.has(id), {
      threshold: s.ipColocationThreshold,
      weight: s.ipColocationWeight,
    });
    const penalties = new PeerPenalties({
      ignoreAllowance: s.ignoreAllowance,
      ignoreWeight: s.ignoreWeight,
      ignoreDecay: s.ignoreDecay,
      oversizedWeight: s.oversizedFrameWeight,
      oversizedDecay: s.oversizedFrameDecay,
      maxPeers: 10_000,
    });
    const appSpecificScore = (id: string): number => colocation.score(id) + penalties.score(id);
    // Static and exempt peers are never refused; others while their score is under the graylist.
    const isGraylisted = (peerId: PeerId): boolean => {
      const id = peerId.toString();
      if (!s.disconnectGraylisted || this.running === undefined || this.trusted.has(id)) return false;
      return Math.min(this.running.gossipsub.getScore(id), penalties.score(id)) < s.graylistThreshold;
    };

    const libp2p = await createLibp2p<P2PServices>({
      start: false,
      privateKey,
      addresses: { listen: o.listenAddresses, announce: o.announceAddresses },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery:
        o.bootstrapPeers.length > 0
          ? [bootstrap({ list: o.bootstrapPeers, timeout: o.bootstrapDelayMs })]
          : [],
      connectionManager: { maxConnections: o.maxConnections },
      // Refuse graylisted peers (their score is retained after disconnect) until their score recovers.
      connectionGater: {
        denyDialPeer: isGraylisted,
        denyInboundEncryptedConnection: isGraylisted,
        denyOutboundEncryptedConnection: isGraylisted,
      },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          // No envelope signature: every opg message is signed inside, and checking gossipsub's
          // Ed25519 signature of each new message cost a receiver more than both of its
          // secp256k1 recoveries (docs/scaling.md). Messages are named by content; the nonce that
          // opens each one keeps a message published again from being dropped as seen.
          globalSignaturePolicy: StrictNoSign,
          // Our pipeline is the topic validator: gossipsub forwards each message when it returns.
          asyncValidation: false,
          msgIdFn: gossipMessageId,
          msgIdToStrFn: gossipMessageIdString,
          emitSelf: false,
          fallbackToFloodsub: false,
          doPX: false,
          floodPublish: o.gossip.floodPublish,
          allowPublishToZeroTopicPeers: o.allowPublishToZeroPeers,
          allowedTopics: [...this.allowedTopics],
          maxInboundDataLength: o.maxRpcBytes,
          D: o.gossip.D,
          Dlo: o.gossip.Dlo,
          Dhi: o.gossip.Dhi,
          Dscore: o.gossip.Dscore,
          Dout: o.gossip.Dout,
          Dlazy: o.gossip.Dlazy,
          heartbeatInterval: o.gossip.heartbeatIntervalMs,
          mcacheLength: o.gossip.mcacheLength,
          mcacheGossip: o.gossip.mcacheGossip,
          seenTTL: o.gossip.seenTTLMs,
          scoreParams: createScoreParams(this.allowedTopics, o.scoring, appSpecificScore),
          scoreThresholds: createScoreThresholds(o.scoring),
        }),
      },
    });

    try {
      const gs = asGossipSubService(libp2p.services.pubsub);
      const isTrusted = (id: string) => this.trusted.has(id);
      const running: Running = {
        libp2p,
        gossipsub: gs,
        pipeline: new MessagePipeline(
          gs,
          this.allowedTopics,
          this.subscriptions,
          o,
          this.metrics,
          this.logger,
          (detail) => this.safeDispatchEvent("message:validated", { detail }),
          (peer) => penalties.add(peer, "ignore"),
        ),
        dialer: new StaticPeerDialer(
          libp2p,
          {
            peers: o.staticPeers,
            minBackoffMs: o.reconnectMinBackoffMs,
            maxBackoffMs: o.reconnectMaxBackoffMs,
          },
          this.logger,
        ),
        stopped: new AbortController(),
        hangingUp: new Set(),
        colocation,
        penalties,
        payloads: new PayloadExchange(libp2p, o.payloads, this.logger, { isTrusted }),
        // Whole result messages (at most the wire limit), checked by the caller.
        results: new PayloadExchange(
          libp2p,
          { ...o.payloads, maxPayloadBytes: WIRE_LIMITS.resultMessageBytes },
          this.logger,
          { protocol: RESULT_PROTOCOL, contentCheck: null, isTrusted },
        ),
      };
      if (
        !watchOversizedFrames(libp2p.services.pubsub, (peerId) => {
          const id = peerId.toString();
          penalties.add(id, "oversized");
          this.metrics.oversizedFrames.inc();
          this.logger.debug({ peer: id }, "oversized gossip frame");
          // Gossipsub has dropped this peer's stream (and forgotten the peer): the heartbeat will
          // not see it, so hang up here once it is under the graylist.
          if (isGraylisted(peerId)) this.hangUp(peerId, penalties.score(id));
        })
      ) {
        this.logger.warn({}, "this gossipsub cannot report oversized frames: they go unpenalised");
      }
      libp2p.addEventListener("connection:open", this.onConnectionOpen);
      libp2p.addEventListener("connection:close", this.onConnectionClose);
      libp2p.addEventListener("peer:connect", this.onPeersChanged);
      libp2p.addEventListener("peer:disconnect", this.onPeersChanged);
      await libp2p.start();
      if (this.payloadLookup !== undefined) await running.payloads.serve(this.payloadLookup);
      if (this.resultLookup !== undefined) await running.results.serve(this.resultLookup);
      this.running = running;
      running.pipeline.start();
      gs.addEventListener("gossipsub:heartbeat", this.onHeartbeat);
      for (const topic of this.subscriptions.keys()) gs.subscribe(topic);
      await running.dialer.start();
    } catch (err) {
      this.running = undefined;
      try {
        await libp2p.stop();
      } catch {
        // Already failing: the start error is the one to report.
      }
      throw err;
    }
    this.logger.info(
      { peerId: libp2p.peerId.toString(), keyCreated: created, addrs: libp2p.getMultiaddrs().map(String) },
      "p2p node started",
    );
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    running.stopped.abort(new P2PError("NOT_STARTED", "The p2p node stopped."));
    running.dialer.stop();
    running.pipeline.stop();
    running.gossipsub.removeEventListener("gossipsub:heartbeat", this.onHeartbeat);
    running.libp2p.removeEventListener("peer:connect", this.onPeersChanged);
    running.libp2p.removeEventListener("peer:disconnect", this.onPeersChanged);
    running.libp2p.removeEventListener("connection:open", this.onConnectionOpen);
    running.libp2p.removeEventListener("connection:close", this.onConnectionClose);
    await running.libp2p.stop();
    running.colocation.clear();
    this.metrics.peers.set(0);
    this.logger.info({}, "p2p node stopped");
  }

  /**
   * Subscribes to `topic` (one of `topics`): every inbound message goes through `validator`
   * (after the size cap) and, when accepted, to `handler` with the decoded value. Works before or
   * after `start()`. Returns a function that unsubscribes.
   */
  subscribe<T>(
    topic: string,
    validator: TopicValidator<T>,
    handler: TopicHandler<T>,
    opts: SubscribeOptions = {},
  ): () => void {
    this.assertAllowed(topic);
    if (this.subscriptions.has(topic)) {
      throw new P2PError("ALREADY_SUBSCRIBED", "Already subscribed to this topic.", { details: topic });
    }
    const maxBytes = opts.maxBytes ?? this.options.maxMessageBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0 || maxBytes >= this.options.maxRpcBytes) {
      throw new P2PError("INVALID_OPTIONS", "maxBytes must be a positive integer below maxRpcBytes.", {
        details: `${topic}: ${maxBytes}`,
      });
    }
    const budget = opts.maxPendingValidations;
    if (budget !== undefined && (!Number.isSafeInteger(budget) || budget <= 0)) {
      throw new P2PError("INVALID_OPTIONS", "maxPendingValidations must be a positive integer.", {
        details: `${topic}: ${budget}`,
      });
    }
    const sub: TopicSubscription = {
      topic,
      validator,
      handler: handler as TopicHandler<unknown>,
      maxBytes,
      maxPendingValidations: budget,
      blamelessIgnores: opts.blamelessIgnores,
    };
    this.subscriptions.set(topic, sub);
    this.running?.gossipsub.subscribe(topic);
    return () => {
      if (this.subscriptions.get(topic) !== sub) return;
      this.subscriptions.delete(topic);
      this.running?.gossipsub.unsubscribe(topic);
    };
  }

  /**
   * Validates `data` as peers would (size cap, then the subscription's or `opts.validator`'s
   * validator, which may throw its `ValidationError`) and publishes it. Resolves with the number
   * of peers it was sent to; with no subscribed peer it throws `NoTopicPeersError` unless
   * `allowPublishToZeroPeers` is set (then it resolves 0).
   */
  async publish(topic: string, data: Uint8Array, opts: PublishOptions = {}): Promise<number> {
    const { gossipsub: gs } = this.require();
    this.assertAllowed(topic);
    const sub = this.subscriptions.get(topic);
    const validator = sub?.validator ?? opts.validator;
    try {
      checkMessageSize(data, sub?.maxBytes ?? opts.maxBytes ?? this.options.maxMessageBytes);
      if (validator !== undefined) await validator(data);
    } catch (err) {
      this.metrics.published.inc({ topic, result: "invalid" });
      throw err;
    }
    try {
      const { recipients } = await gs.publish(topic, frameGossip(data));
      this.metrics.published.inc({ topic, result: "ok" });
      return recipients.length;
    } catch (err) {
      if (err instanceof Error && err.message === "PublishError.NoPeersSubscribedToTopic") {
        this.metrics.published.inc({ topic, result: "no_peers" });
        throw new NoTopicPeersError(topic, { cause: err });
      }
      this.metrics.published.inc({ topic, result: "error" });
      throw new P2PError("PUBLISH_FAILED", "Publishing the gossip message failed.", {
        details: topic,
        cause: err,
      });
    }
  }

  /**
   * Serves payloads by hash (`PAYLOAD_PROTOCOL`) from `lookup`: results' outputs this node
   * produced or holds. Call before or after `start()`; once.
   */
  async servePayloads(lookup: PayloadLookup): Promise<void> {
    if (this.payloadLookup !== undefined) {
      throw new P2PError("ALREADY_SUBSCRIBED", "Payloads are already served.");
    }
    this.payloadLookup = lookup;
    if (this.running !== undefined) await this.running.payloads.serve(lookup);
  }

  /**
   * Serves result messages by result hash (`RESULT_PROTOCOL`) from `lookup`: the results this
   * node verified and holds. Call before or after `start()`; once.
   */
  async serveResults(lookup: PayloadLookup): Promise<void> {
    if (this.resultLookup !== undefined) {
      throw new P2PError("ALREADY_SUBSCRIBED", "Results are already served.");
    }
    this.resultLookup = lookup;
    if (this.running !== undefined) await this.running.results.serve(lookup);
  }

  /**
   * Fetches the payload hashing to `hash` (keccak256), trying `from` first (e.g. the result's
   * author) and then every connected peer, each within the fetch timeout. Returns the checked
   * bytes; throws P2PError PAYLOAD_NOT_FOUND when no peer holds it. A peer that answers bytes of
   * another hash is charged like an invalid message.
   */
  fetchPayload(hash: `0x${string}`, from: readonly PeerId[] = [], signal?: AbortSignal): Promise<Uint8Array> {
    const running = this.require();
    return this.fetchFromPeers(running, running.payloads, this.metrics.payloadFetches, hash, {
      from,
      signal,
    });
  }

  /**
   * Fetches the result message whose result hash is `hash` from the connected peers, one after
   * the other (those on the batch-signatures topic, the verifiers, first), each within the fetch
   * timeout. `accept` checks what a peer answered (cheapest first: the header's hash, then the
   * whole validation) and says whether it is the result asked for; a peer whose answer it refuses
   * is charged like an invalid message and the next is asked; one whose check throws (our side
   * failed) is not charged. Returns the accepted bytes; throws P2PError PAYLOAD_NOT_FOUND when no
   * peer holds it.
   */
  fetchResult(
    hash: `0x${string}`,
    accept: (bytes: Uint8Array) => Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const running = this.require();
    // Verifiers hold results: the peers on the batch-signatures topic are asked first.
    const verifiers = running.gossipsub.getSubscribers(this.topics.batchSignatures);
    return this.fetchFromPeers(running, running.results, this.metrics.resultFetches, hash, {
      from: verifiers,
      accept,
      signal,
    });
  }

  private async fetchFromPeers(
    running: Running,
    exchange: PayloadExchange,
    metric: P2PMetrics["payloadFetches"],
    hash: `0x${string}`,
    o: {
      from?: readonly PeerId[];
      accept?: (bytes: Uint8Array) => Promise<boolean>;
      signal?: AbortSignal | undefined;
    },
  ): Promise<Uint8Array> {
    const seen = new Set<string>();
    const candidates = [...(o.from ?? []), ...running.libp2p.getPeers()].filter((p) => {
      const id = p.toString();
      if (seen.has(id) || p.equals(running.libp2p.peerId)) return false;
      seen.add(id);
      return true;
    });
    for (const peer of candidates) {
      o.signal?.throwIfAborted();
      try {
        const bytes = await exchange.fetch(peer, hash, o.signal);
        if (bytes !== undefined && o.accept !== undefined && !(await o.accept(bytes))) {
          throw new P2PError("PAYLOAD_MISMATCH", "The answer is not what was asked.", {
            details: `${hash} from ${peer.toString()}`,
          });
        }
        metric.inc({ result: bytes ? "ok" : "not_held" });
        if (bytes !== undefined) return bytes;
      } catch (err) {
        const mismatch = err instanceof P2PError && err.code === "PAYLOAD_MISMATCH";
        metric.inc({ result: mismatch ? "mismatch" : "failed" });
        if (mismatch) running.penalties.add(peer.toString(), "oversized");
        this.logger.debug(
          { peer: peer.toString(), hash, protocol: exchange.protocol, err: String(err) },
          "fetch by hash failed",
        );
      }
    }
    throw new P2PError("PAYLOAD_NOT_FOUND", "No peer holds this payload.", {
      details: `${hash} (${exchange.protocol})`,
    });
  }

  /**
   * Peers this node sends `topic`'s messages to: its gossipsub mesh for the topic when subscribed
   * (the peers it forwards to), otherwise the peers subscribed to it (where a publish goes).
   */
  topicPeers(topic: string): string[] {
    return this.topicPeersOf(this.require().gossipsub, topic);
  }

  /**
   * Resolves once `topicPeers(topic)` has at least `n` peers, i.e. a message published or
   * forwarded now reaches them (gossipsub builds its mesh on heartbeats). Event-driven (graft,
   * subscription change, heartbeat; no polling); rejects when `signal` aborts or the node stops.
   */
  async waitForTopicPeers(topic: string, n: number, signal?: AbortSignal): Promise<void> {
    const { gossipsub: gs, stopped } = this.require();
    const ready = (): boolean => this.topicPeersOf(gs, topic).length >= n;
    if (ready()) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const events = ["gossipsub:graft", "gossipsub:heartbeat", "subscription-change"] as const;
      const cleanup = (): void => {
        for (const event of events) gs.removeEventListener(event, check);
        signal?.removeEventListener("abort", onAbort);
        stopped.signal.removeEventListener("abort", onAbort);
      };
      const check = (): void => {
        if (!ready()) return;
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal?.aborted === true ? signal.reason : stopped.signal.reason);
      };
      for (const event of events) gs.addEventListener(event, check);
      signal?.addEventListener("abort", onAbort, { once: true });
      stopped.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private topicPeersOf(gs: GossipSubService, topic: string): string[] {
    return this.subscriptions.has(topic) ? gs.getMeshPeers(topic) : gs.getSubscribers(topic).map(String);
  }

  private require(): Running {
    if (this.running === undefined) throw new P2PError("NOT_STARTED", "The p2p node is not started.");
    return this.running;
  }

  private assertAllowed(topic: string): void {
    if (!this.allowedTopics.includes(topic)) {
      throw new P2PError("TOPIC_NOT_ALLOWED", "Not a topic of this chain.", {
        details: `${topic} is not one of ${this.allowedTopics.join(", ")}`,
      });
    }
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    this.running?.colocation.onOpen(evt.detail);
  };

  private readonly onConnectionClose = (evt: CustomEvent<Connection>): void => {
    this.running?.colocation.onClose(evt.detail);
  };

  private readonly onPeersChanged = (): void => {
    if (this.running !== undefined) this.metrics.peers.set(this.running.libp2p.getPeers().length);
  };

  /** Each heartbeat: refresh mesh gauges and hang up on peers whose score fell below the graylist. */
  private readonly onHeartbeat = (): void => {
    const running = this.running;
    if (running === undefined) return;
    const { gossipsub: gs, hangingUp } = running;
    for (const topic of this.subscriptions.keys()) {
      this.metrics.meshPeers.set({ topic }, gs.getMeshPeers(topic).length);
    }
    running.penalties.prune();
    if (!this.options.scoring.disconnectGraylisted) return;
    for (const peerId of gs.getPeers()) {
      const id = peerId.toString();
      if (hangingUp.has(id) || this.trusted.has(id)) continue;
      const score = gs.getScore(id);
      if (score >= this.options.scoring.graylistThreshold) continue;
      this.hangUp(peerId, score);
    }
  };

  /** Hangs up on a graylisted peer (once at a time), with the event and metric. */
  private hangUp(peerId: PeerId, score: number): void {
    const running = this.running;
    const id = peerId.toString();
    if (running === undefined || running.hangingUp.has(id)) return;
    running.hangingUp.add(id);
    this.metrics.graylistDisconnects.inc();
    this.logger.warn({ peer: id, score }, "disconnecting graylisted peer");
    this.safeDispatchEvent("peer:graylisted", { detail: { peerId, score } });
    running.libp2p
      .hangUp(peerId)
      .catch((err: unknown) => this.logger.debug({ peer: id, err }, "hang-up failed"))
      .finally(() => running.hangingUp.delete(id));
  }
}
