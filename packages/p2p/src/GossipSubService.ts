import type { GossipSub } from "@libp2p/gossipsub";
import { P2PError } from "./P2PError.js";

/**
 * The gossipsub service as libp2p builds it. `@libp2p/gossipsub` exports only the `GossipSub`
 * interface; the instance is its `GossipSub` class, whose public methods below we also use
 * (asserted at start, so an incompatible upgrade fails loudly instead of silently misbehaving).
 */
export type GossipSubService = GossipSub & {
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
  /** IWANT promises: a message that arrives keeps the promise of whoever we asked for it. */
  readonly gossipTracer: { deliverMessage(msgIdStr: string): void };
};

export function asGossipSubService(pubsub: GossipSub): GossipSubService {
  const candidate = pubsub as Partial<GossipSubService>;
  const required: Record<string, unknown> = {
    "getScore()": candidate.getScore,
    "getMeshPeers()": candidate.getMeshPeers,
    "gossipTracer.deliverMessage()": candidate.gossipTracer?.deliverMessage,
  };
  for (const [name, member] of Object.entries(required)) {
    if (typeof member !== "function") {
      throw new P2PError("INVALID_OPTIONS", "The installed @libp2p/gossipsub lacks a required method.", {
        details: `missing ${name}`,
      });
    }
  }
  return pubsub as GossipSubService;
}
