import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, type Hex, keccak256 } from "viem";
import { OpgError } from "../errors.js";
import { RESULT_ABI_TYPES, type ResultFields, resultHash, resultValues } from "../hash/resultHash.js";

type LeafValue = [Hex, Hex, Hex, Hex, Address];
const LEAF_ENCODING = [...RESULT_ABI_TYPES];

/** The Merkle leaf of a result: `keccak256(bytes.concat(keccak256(abi.encode(...))))`. */
export function resultLeaf(fields: ResultFields): Hex {
  return keccak256(resultHash(fields));
}

/**
 * A batch of results as an OpenZeppelin standard Merkle tree (double-hashed, sorted leaves), so
 * the contract checks inclusion with OpenZeppelin's `MerkleProof`.
 */
export class ResultBatchTree {
  private readonly indexByRequest = new Map<string, number>();

  private constructor(private readonly tree: StandardMerkleTree<LeafValue>) {
    for (const [i, value] of tree.entries()) this.indexByRequest.set(value[0].toLowerCase(), i);
  }

  static of(results: readonly ResultFields[]): ResultBatchTree {
    if (results.length === 0) throw new OpgError("EMPTY_BATCH", "A batch needs at least one result.");
    const values = results.map(resultValues);
    const seen = new Set<string>();
    for (const v of values) {
      const key = v[0].toLowerCase();
      if (seen.has(key))
        throw new OpgError("DUPLICATE_REQUEST", `Request ${v[0]} appears twice in one batch.`);
      seen.add(key);
    }
    return new ResultBatchTree(StandardMerkleTree.of(values, LEAF_ENCODING));
  }

  get root(): Hex {
    return this.tree.root as Hex;
  }

  get count(): number {
    return this.tree.length;
  }

  /** The inclusion proof of the result for `requestId`. */
  proof(requestId: Hex): Hex[] {
    const index = this.indexByRequest.get(requestId.toLowerCase());
    if (index === undefined) throw new OpgError("NOT_IN_BATCH", `Request ${requestId} is not in this batch.`);
    return this.tree.getProof(index) as Hex[];
  }

  has(requestId: Hex): boolean {
    return this.indexByRequest.has(requestId.toLowerCase());
  }

  /** Checks a proof against a root without building a tree (what an SDK or the contract does). */
  static verify(root: Hex, fields: ResultFields, proof: readonly Hex[]): boolean {
    return StandardMerkleTree.verify(root, LEAF_ENCODING, resultValues(fields), [...proof]);
  }
}
