import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";
import type { P2PScoringOptions } from "./P2PNodeOptions.js";

/**
 * Gossipsub peer-score parameters for `topics`. Only what we can judge is scored: time in mesh
 * (P1) and first deliveries (P2) reward honest peers a little, REJECTed messages (P4) punish
 * quadratically, and protocol misbehaviour (P7) keeps gossipsub's own penalty. Mesh delivery
 * rates (P3/P3b) are off: opg topics are low-volume and bursty, so a quiet honest peer must not
 * look like a withholding one. Gossipsub's IP colocation (P6) is off: `appSpecificScore` (P5,
 * weight 1) carries opg's own colocation count (exempting static peers) and the penalties for
 * IGNORE floods and oversized frames (`IpColocation`, `PeerPenalties`).
 */
export function createScoreParams(
  topics: readonly string[],
  s: P2PScoringOptions,
  appSpecificScore: (peerId: string) => number = () => 0,
): Partial<PeerScoreParams> {
  const topicParams: TopicScoreParams = {
    topicWeight: s.topicWeight,
    timeInMeshWeight: s.timeInMeshWeight,
    timeInMeshQuantum: s.timeInMeshQuantumMs,
    timeInMeshCap: s.timeInMeshCap,
    firstMessageDeliveriesWeight: s.firstMessageDeliveriesWeight,
    firstMessageDeliveriesDecay: s.firstMessageDeliveriesDecay,
    firstMessageDeliveriesCap: s.firstMessageDeliveriesCap,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: s.invalidMessageDeliveriesWeight,
    invalidMessageDeliveriesDecay: s.invalidMessageDeliveriesDecay,
  };
  return {
    topics: Object.fromEntries(topics.map((topic) => [topic, { ...topicParams }])),
    topicScoreCap: s.topicScoreCap,
    appSpecificScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0,
    behaviourPenaltyWeight: s.behaviourPenaltyWeight,
    behaviourPenaltyThreshold: s.behaviourPenaltyThreshold,
    behaviourPenaltyDecay: s.behaviourPenaltyDecay,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: s.retainScoreMs,
  };
}

/** Gossipsub score thresholds from our options (peer exchange is off, so PX needs a high bar). */
export function createScoreThresholds(s: P2PScoringOptions): PeerScoreThresholds {
  return {
    gossipThreshold: s.gossipThreshold,
    publishThreshold: s.publishThreshold,
    graylistThreshold: s.graylistThreshold,
    acceptPXThreshold: 100,
    opportunisticGraftThreshold: 5,
  };
}
