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
  for (const method of ["getScore", "getMeshPeers"] as const) {
    if (typeof candidate[method] !== "function") {
      throw new P2PError("INVALID_OPTIONS", "The installed @libp2p/gossipsub lacks a required method.", {
        details: `missing ${method}()`,
      });
    }
  }
  if (typeof candidate.gossipTracer?.deliverMessage !== "function") {
    throw new P2PError("INVALID_OPTIONS", "The installed @libp2p/gossipsub lacks a required method.", {
      details: "missing gossipTracer.deliverMessage()",
    });
  }
  return pubsub as GossipSubService;
}
