import type { GossipSub, TopicValidatorResult } from "@libp2p/gossipsub";
import { P2PError } from "./P2PError.js";

/**
 * The gossipsub service as libp2p builds it. `@libp2p/gossipsub` exports only the `GossipSub`
 * interface; the instance is its `GossipSub` class, whose public methods below we also use
 * (asserted at start, so an incompatible upgrade fails loudly instead of silently not forwarding).
 */
export type GossipSubService = GossipSub & {
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void;
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
};

export function asGossipSubService(pubsub: GossipSub): GossipSubService {
  const candidate = pubsub as Partial<GossipSubService>;
  for (const method of ["reportMessageValidationResult", "getScore", "getMeshPeers"] as const) {
    if (typeof candidate[method] !== "function") {
      throw new P2PError("INVALID_OPTIONS", "The installed @libp2p/gossipsub lacks a required method.", {
        details: `missing ${method}()`,
      });
    }
  }
  return pubsub as GossipSubService;
}
