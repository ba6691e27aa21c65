import { type GossipsubMessage, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { Logger } from "@opg/protocol";
import { ValidationError } from "@opg/protocol";
import { checkMessageSize } from "./checkMessageSize.js";
import type { GossipSubService } from "./GossipSubService.js";
import type { MessageResult, P2PMetrics } from "./P2PMetrics.js";
import type { TopicSubscription } from "./TopicSubscription.js";
import { toValidatorResult, validationErrorCode } from "./toValidatorResult.js";

export type MessagePipelineOptions = { maxPendingValidations: number };

/** IGNORE codes that are never the sender's fault (our own load), whatever the topic says. */
const BLAMELESS_IGNORES: ReadonlySet<string> = new Set(["VALIDATION_OVERLOADED"]);

/** The verdict on one inbound message (emitted by `P2PNode` as `message:validated`). */
export type ValidationOutcome = {
  topic: string;
  msgId: string;
  /** The peer that sent it to us. */
  propagationSource: PeerId;
  result: MessageResult;
  /** The failure's bounded code; absent on accept. */
  code?: string;
};

/**
 * The one validation pipeline for inbound gossip (gossipsub runs with `asyncValidation`):
 * size cap → the topic's validator → verdict reported to gossipsub (which forwards on ACCEPT and
 * applies the P4 score penalty on REJECT) → metrics → the topic's handler, with the value the
 * validator decoded (each message is validated once). Nothing a peer sends can throw out of here.
 */
export class MessagePipeline {
  /** Messages in validation, per topic: each topic has its own budget. */
  private readonly pending = new Map<string, number>();
  private active = false;

  constructor(
    private readonly gossipsub: GossipSubService,
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
    this.gossipsub.addEventListener("gossipsub:message", this.onMessage);
  }

  stop(): void {
    this.active = false;
    this.gossipsub.removeEventListener("gossipsub:message", this.onMessage);
  }

  /** Runs `sub`'s size check and validator: the decoded value, or the error they threw. */
  static async validate(sub: TopicSubscription, data: Uint8Array, from: PeerId): Promise<unknown> {
    checkMessageSize(data, sub.maxBytes);
    return await sub.validator(data, from);
  }

  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, msgId, propagationSource } = evt.detail;
    const source = propagationSource.toString();
    const sub = this.subscriptions.get(msg.topic);
    if (sub === undefined) {
      // Gossipsub only dispatches subscribed topics; unsubscribed in the meantime: drop quietly.
      this.gossipsub.reportMessageValidationResult(msgId, source, TopicValidatorResult.Ignore);
      return;
    }
    const pending = this.pendingOf(sub.topic);
    if (pending >= (sub.maxPendingValidations ?? this.opts.maxPendingValidations)) {
      const overloaded = new ValidationError(
        "IGNORE",
        "VALIDATION_OVERLOADED",
        "Too many messages in validation.",
      );
      this.settle(sub.topic, msgId, propagationSource, overloaded);
      return;
    }
    this.pending.set(sub.topic, pending + 1);
    void this.process(sub, evt.detail).finally(() => {
      this.pending.set(sub.topic, this.pendingOf(sub.topic) - 1);
    });
  };

  private async process(
    sub: TopicSubscription,
    { msg, msgId, propagationSource }: GossipsubMessage,
  ): Promise<void> {
    const source = propagationSource.toString();
    const endTimer = this.metrics.validationDuration.startTimer({ topic: sub.topic });
    let value: unknown;
    let failure: unknown;
    let accepted = false;
    try {
      if (msg.type !== "signed") {
        throw new ValidationError("REJECT", "UNSIGNED", "Gossip message is not signed.");
      }
      value = await MessagePipeline.validate(sub, msg.data, msg.from);
      accepted = true;
    } catch (err) {
      failure = err;
    }
    endTimer();
    if (!this.active) return;
    if (!accepted) {
      this.settle(sub.topic, msgId, propagationSource, failure);
      const code = validationErrorCode(failure);
      if (
        toValidatorResult(failure) === TopicValidatorResult.Ignore &&
        !BLAMELESS_IGNORES.has(code) &&
        !(sub.blamelessIgnores?.includes(code) ?? false)
      ) {
        this.onBlamedIgnore(source);
      }
      return;
    }
    this.gossipsub.reportMessageValidationResult(msgId, source, TopicValidatorResult.Accept);
    this.metrics.messages.inc({ topic: sub.topic, result: TopicValidatorResult.Accept });
    this.onOutcome({ topic: sub.topic, msgId, propagationSource, result: TopicValidatorResult.Accept });
    if (msg.type !== "signed") return;
    try {
      await sub.handler(value, { topic: sub.topic, from: msg.from, propagationSource, msgId });
    } catch (err) {
      this.logger.error({ topic: sub.topic, msgId, err }, "gossip message handler failed");
    }
  }

  /** Reports a failed validation: verdict to gossipsub, metrics, a debug log (peer data stays at debug). */
  private settle(topic: string, msgId: string, propagationSource: PeerId, error: unknown): void {
    const source = propagationSource.toString();
    const result = toValidatorResult(error);
    const code = validationErrorCode(error);
    this.gossipsub.reportMessageValidationResult(msgId, source, result);
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
  }
}
