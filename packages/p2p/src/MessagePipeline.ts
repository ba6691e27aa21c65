import { type GossipsubMessage, type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { Logger } from "@opg/protocol";
import { ValidationError } from "@opg/protocol";
import { checkMessageSize } from "./checkMessageSize.js";
import type { GossipSubService } from "./GossipSubService.js";
import { unframeGossip } from "./gossipFrame.js";
import { gossipMessageId, gossipMessageIdString } from "./gossipMessageId.js";
import type { MessageResult, P2PMetrics } from "./P2PMetrics.js";
import type { MessageInfo, TopicSubscription } from "./TopicSubscription.js";
import { toValidatorResult, validationErrorCode } from "./toValidatorResult.js";

export type MessagePipelineOptions = { maxPendingValidations: number };

/** IGNORE codes that are never the sender's fault (our own load), whatever the topic says. */
const BLAMELESS_IGNORES: ReadonlySet<string> = new Set(["VALIDATION_OVERLOADED"]);

/** The verdict on one inbound message (emitted by `P2PNode` as `message:validated`). */
export type ValidationOutcome = {
  topic: string;
  /** Gossipsub's message id. */
  msgId: string;
  /** The peer that sent it to us. */
  propagationSource: PeerId;
  result: MessageResult;
  /** The failure's bounded code; absent on accept. */
  code?: string;
};

/**
 * The one validation pipeline for inbound gossip, run as gossipsub's topic validator: nonce
 * stripped → size cap → the topic's validator → verdict returned to gossipsub (which forwards on
 * ACCEPT and applies the P4 score penalty on REJECT) → metrics → the topic's handler, with the
 * value the validator decoded (each message is validated once). Nothing a peer sends can throw
 * out of here.
 *
 * Gossipsub forwards an accepted message the moment its validator returns, however long that took.
 * (Its `asyncValidation` mode, reported afterwards, forwards only while the message is still in
 * its message cache, `mcacheLength` heartbeats: a verifier that took longer, e.g. on a chain read
 * under load, accepted the message without relaying it, and peers behind it never got it.)
 */
export class MessagePipeline {
  /** Messages in validation, per topic: each topic has its own budget. */
  private readonly pending = new Map<string, number>();
  /** What the validator decoded from each accepted message, until gossipsub delivers it. */
  private readonly accepted = new WeakMap<Message, unknown>();
  private active = false;

  constructor(
    private readonly gossipsub: GossipSubService,
    /** Every topic gossipsub may deliver (its `allowedTopics`): each gets this pipeline. */
    private readonly topics: readonly string[],
    private readonly subscriptions: ReadonlyMap<string, TopicSubscription>,
    private readonly opts: MessagePipelineOptions,
    private readonly metrics: P2PMetrics,
    private readonly logger: Logger,
    private readonly onOutcome: (outcome: ValidationOutcome) => void = () => {},
    /** Charged once per IGNOREd message the sender is to blame for (see `PeerPenalties`). */
    private readonly onBlamedIgnore: (peer: string) => void = () => {},
  ) {}

  /** Messages of `topic` in validation now. */
  pendingOf(topic: string): number {
    return this.pending.get(topic) ?? 0;
  }

  start(): void {
    this.active = true;
    for (const topic of this.topics) this.gossipsub.topicValidators.set(topic, this.validateMessage);
    this.gossipsub.addEventListener("gossipsub:message", this.onMessage);
  }

  stop(): void {
    this.active = false;
    for (const topic of this.topics) this.gossipsub.topicValidators.delete(topic);
    this.gossipsub.removeEventListener("gossipsub:message", this.onMessage);
  }

  /**
   * Runs `sub`'s checks on a gossip message's data: the opg message it carries (nonce stripped),
   * its size cap, then the topic's validator; the decoded value, or the error they threw.
   */
  static async validate(sub: TopicSubscription, data: Uint8Array): Promise<unknown> {
    const message = unframeGossip(data);
    checkMessageSize(message, sub.maxBytes);
    return await sub.validator(message);
  }

  /** Gossipsub's topic validator (after its own framing and duplicate checks). */
  private readonly validateMessage = async (
    propagationSource: PeerId,
    msg: Message,
  ): Promise<TopicValidatorResult> => {
    const msgId = gossipMessageIdString(gossipMessageId(msg));
    // The message has arrived: whoever we asked for it (IWANT) kept their promise, however long
    // our validation takes (it is not theirs to wait for; its verdict scores them, P4).
    this.gossipsub.gossipTracer.deliverMessage(msgId);
    const sub = this.subscriptions.get(msg.topic);
    // Not (or no longer) subscribed: nothing to deliver, nothing to relay.
    if (sub === undefined || !this.active) return TopicValidatorResult.Ignore;
    const pending = this.pendingOf(sub.topic);
    if (pending >= (sub.maxPendingValidations ?? this.opts.maxPendingValidations)) {
      const overloaded = new ValidationError(
        "IGNORE",
        "VALIDATION_OVERLOADED",
        "Too many messages in validation.",
      );
      return this.refuse(sub, msgId, propagationSource, overloaded);
    }
    this.pending.set(sub.topic, pending + 1);
    try {
      return await this.process(sub, msgId, propagationSource, msg);
    } finally {
      this.pending.set(sub.topic, this.pendingOf(sub.topic) - 1);
    }
  };

  private async process(
    sub: TopicSubscription,
    msgId: string,
    propagationSource: PeerId,
    msg: Message,
  ): Promise<TopicValidatorResult> {
    const endTimer = this.metrics.validationDuration.startTimer({ topic: sub.topic });
    let value: unknown;
    try {
      value = await MessagePipeline.validate(sub, msg.data);
    } catch (err) {
      endTimer();
      return this.active ? this.refuse(sub, msgId, propagationSource, err) : TopicValidatorResult.Ignore;
    }
    endTimer();
    if (!this.active) return TopicValidatorResult.Ignore;
    this.accepted.set(msg, value);
    return TopicValidatorResult.Accept;
  }

  /** An accepted message, as gossipsub delivers it (right after forwarding it): to the handler. */
  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, msgId, propagationSource } = evt.detail;
    const sub = this.subscriptions.get(msg.topic);
    if (!this.accepted.has(msg) || sub === undefined) return;
    const value = this.accepted.get(msg);
    this.accepted.delete(msg);
    this.metrics.messages.inc({ topic: sub.topic, result: TopicValidatorResult.Accept });
    this.onOutcome({ topic: sub.topic, msgId, propagationSource, result: TopicValidatorResult.Accept });
    void this.deliver(sub, value, { topic: sub.topic, propagationSource, msgId });
  };

  private async deliver(sub: TopicSubscription, value: unknown, info: MessageInfo): Promise<void> {
    try {
      await sub.handler(value, info);
    } catch (err) {
      this.logger.error({ topic: sub.topic, msgId: info.msgId, err }, "gossip message handler failed");
    }
  }

  /**
   * A failed validation: metrics, the outcome, a debug log (peer data stays at debug), the
   * IGNORE-flood charge when the sender is to blame; returns the verdict for gossipsub.
   */
  private refuse(
    sub: TopicSubscription,
    msgId: string,
    propagationSource: PeerId,
    error: unknown,
  ): TopicValidatorResult {
    const source = propagationSource.toString();
    const topic = sub.topic;
    const result = toValidatorResult(error);
    const code = validationErrorCode(error);
    this.metrics.messages.inc({ topic, result });
    this.metrics.validationErrors.inc({ topic, code });
    this.onOutcome({ topic, msgId, propagationSource, result, code });
    if (error instanceof ValidationError) {
      this.logger.debug(
        { topic, msgId, peer: source, result, code, reason: error.shortMessage },
        "gossip message dropped",
      );
    } else {
      this.logger.debug(
        { topic, msgId, peer: source, result, code, err: error },
        "gossip validator threw unexpectedly",
      );
    }
    if (
      result === TopicValidatorResult.Ignore &&
      !BLAMELESS_IGNORES.has(code) &&
      !(sub.blamelessIgnores?.includes(code) ?? false)
    ) {
      this.onBlamedIgnore(source);
    }
    return result;
  }
}
