import { describe, expect, it } from "vitest";
import { P2PError, topicsFor } from "../src/index.js";

describe("topicsFor", () => {
  it("default", () => {
    expect(topicsFor(8453)).toEqual({
      results: "/opg/2/results/8453",
      batchSignatures: "/opg/2/batch-signatures/8453",
    });
  });

  it("args: bigint chain id", () => {
    expect(topicsFor(31337n).results).toBe("/opg/2/results/31337");
  });

  it("error: chain id not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60, 0n]) {
      expect(() => topicsFor(bad)).toThrow(P2PError);
    }
  });
});
