import {
  createPeerScoreParams,
  createPeerScoreThresholds,
  validatePeerScoreParams,
  validatePeerScoreThresholds,
} from "@libp2p/gossipsub/score";
import { describe, expect, it } from "vitest";
import {
  createScoreParams,
  createScoreThresholds,
  defaultP2PScoringOptions,
  topicsFor,
} from "../src/index.js";

const topics = Object.values(topicsFor(1));

describe("createScoreParams", () => {
  it("default: valid for gossipsub, every topic scored", () => {
    const params = createPeerScoreParams(createScoreParams(topics, defaultP2PScoringOptions));
    expect(() => validatePeerScoreParams(params)).not.toThrow();
    expect(Object.keys(params.topics).sort()).toEqual([...topics].sort());
    const thresholds = createPeerScoreThresholds(createScoreThresholds(defaultP2PScoringOptions));
    expect(() => validatePeerScoreThresholds(thresholds)).not.toThrow();
  });

  it("behavior: three REJECTs graylist even a peer at the positive cap; one does not", () => {
    const s = defaultP2PScoringOptions;
    const scoreAfter = (invalid: number): number =>
      s.topicScoreCap + s.topicWeight * s.invalidMessageDeliveriesWeight * invalid * invalid;
    expect(scoreAfter(1)).toBeGreaterThanOrEqual(s.gossipThreshold);
    expect(scoreAfter(2)).toBeGreaterThanOrEqual(s.graylistThreshold);
    expect(scoreAfter(3)).toBeLessThan(s.graylistThreshold);
  });
});
