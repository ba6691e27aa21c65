import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { OpgError, ResultBatchTree, type ResultFields, resultHash, resultLeaf } from "../src/index.js";

const h = (s: string): Hex => keccak256(toHex(s));
const results: ResultFields[] = Array.from({ length: 33 }, (_, i) => ({
  requestId: h(`r${i}`),
  modelId: h("m"),
  inputHash: h(`i${i}`),
  outputHash: h(`o${i}`),
  executor: `0x${h(`e${i % 3}`).slice(26)}` as Address,
}));

describe("ResultBatchTree", () => {
  it("default: every proof checks against the root", () => {
    const tree = ResultBatchTree.of(results);
    expect(tree.count).toBe(33);
    for (const r of results) expect(ResultBatchTree.verify(tree.root, r, tree.proof(r.requestId))).toBe(true);
  });

  it("behavior: same root as OpenZeppelin's tree, whatever the input order", () => {
    const oz = StandardMerkleTree.of(
      results.map((r) => [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor]),
      ["bytes32", "bytes32", "bytes32", "bytes32", "address"],
    );
    expect(ResultBatchTree.of([...results].reverse()).root).toBe(oz.root);
  });

  it("behavior: the leaf is keccak256 of the resultHash", () => {
    const r = results[0]!;
    expect(resultLeaf(r)).toBe(keccak256(resultHash(r)));
  });

  it("behavior: a changed field or another root fails", () => {
    const tree = ResultBatchTree.of(results);
    const r = results[5]!;
    const proof = tree.proof(r.requestId);
    expect(ResultBatchTree.verify(tree.root, { ...r, outputHash: h("forged") }, proof)).toBe(false);
    expect(ResultBatchTree.verify(ResultBatchTree.of(results.slice(1)).root, r, proof)).toBe(false);
  });

  it("error: empty batch, duplicate request, unknown request", () => {
    expect(() => ResultBatchTree.of([])).toThrow(OpgError);
    expect(() => ResultBatchTree.of([results[0]!, results[0]!])).toThrow(/appears twice/);
    expect(() => ResultBatchTree.of(results.slice(0, 2)).proof(h("nope"))).toThrow(/not in this batch/);
  });
});
