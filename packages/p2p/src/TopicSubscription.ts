import type { PeerId } from "@libp2p/interface";

/**
 * Validates one opg message of a topic (the gossip message's data less its nonce): returns the
 * decoded value to ACCEPT it, or throws. A thrown `ValidationError` maps to its action (REJECT or
 * IGNORE); any other error maps to REJECT. Gossip names no author (`StrictNoSign`): whatever
 * authenticates a message is inside it.
 */
export type TopicValidator<T> = (data: Uint8Array) => T | Promise<T>;

/** Where an accepted message came from. */
export type MessageInfo = {
  topic: string;
  /** The peer that forwarded it to us (penalised if it turns out invalid). */
  propagationSource: PeerId;
  /** Gossipsub message id. */
  msgId: string;
};

/** Receives each ACCEPTed message once, with the value its validator returned. */
export type TopicHandler<T> = (value: T, info: MessageInfo) => void | Promise<void>;

export type SubscribeOptions = {
  /** Size cap for this topic's messages (default: the node's `maxMessageBytes`). */
  maxBytes?: number;
  /** This topic's validation budget (default: the node's `maxPendingValidations`). */
  maxPendingValidations?: number;
  /**
   * IGNORE codes that are not the sender's fault (our chain unreachable, our own bug, a duplicate
   * of something an honest executor republishes): they cost the sender no score. Every other
   * IGNORE counts towards the sender's IGNORE-flood penalty.
   */
  blamelessIgnores?: readonly string[];
};

/** A registered subscription (type-erased for storage). */
export type TopicSubscription = {
  topic: string;
  validator: TopicValidator<unknown>;
  handler: TopicHandler<unknown>;
  maxBytes: number;
  maxPendingValidations?: number | undefined;
  blamelessIgnores?: readonly string[] | undefined;
};
