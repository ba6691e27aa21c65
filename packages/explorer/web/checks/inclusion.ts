import { type ResultFields, resultHash, resultLeaf } from "@opg/protocol";
import { concat, type Hex, keccak256 } from "viem";

export type MerkleStep = { sibling: Hex; parent: Hex };

/**
 * The Merkle path of a result, recomputed here: leaf = keccak256(resultHash) (OpenZeppelin's
 * double-hashed leaf), each parent = keccak256 of the sorted pair. Returns every step and the root.
 */
export function merklePath(
  fields: ResultFields,
  proof: readonly Hex[],
): {
  resultHash: Hex;
  leaf: Hex;
  steps: MerkleStep[];
  root: Hex;
} {
  const leaf = resultLeaf(fields);
  let node = leaf;
  const steps: MerkleStep[] = [];
  for (const sibling of proof) {
    const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling] : [sibling, node];
    node = keccak256(concat([a, b]));
    steps.push({ sibling, parent: node });
  }
  return { resultHash: resultHash(fields), leaf, steps, root: node };
}
