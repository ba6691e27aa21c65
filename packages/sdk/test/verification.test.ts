import { ProofMode, ResultBatchTree, resultHash } from "@opg/protocol";
import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { assessInclusion, type SettledAnswer } from "../src/client/verification.js";

/** A settled answer whose leaf is really in a one-leaf tree, with `outputBytes` as given. */
function settled(outputBytes: Hex): { answer: SettledAnswer; root: Hex } {
  const fields = {
    requestId: keccak256(toHex("request")),
    modelId: keccak256(toHex("model")),
    inputHash: keccak256(toHex("input")),
    outputHash: keccak256(outputBytes),
    executor: "0x00000000000000000000000000000000000000e1" as const,
  };
  const tree = ResultBatchTree.of([fields]);
  return {
    root: tree.root,
    answer: {
      status: "settled",
      ...fields,
      resultHash: resultHash(fields),
      mode: ProofMode.NONE,
      outputBytes,
      batch: { batchId: 1n, root: tree.root, proof: tree.proof(fields.requestId), settlementTx: null },
      verifier: "http://verifier",
    },
  };
}

describe("assessInclusion", () => {
  it("error: outputs that are settled on chain but are not canonical tensors are BAD_OUTPUTS", () => {
    const { answer, root } = settled("0xff0102");
    const assessed = assessInclusion(answer, root, { requestId: answer.requestId });
    expect(assessed.failures.map((f) => f.code)).toEqual(["BAD_OUTPUTS"]);
    const verification = assessed.build(true);
    expect(verification.verified).toBe(false);
    expect(verification.failure?.code).toBe("BAD_OUTPUTS");
    expect(verification.failure?.message).toMatch(/^The outputs are not canonical tensors: /);
  });
});
