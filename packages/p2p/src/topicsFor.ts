import { gossipTopics } from "@opg/protocol";
import { P2PError } from "./P2PError.js";

/** The gossip topics of one chain (docs/protocol.md, "Gossip"). */
export type OpgTopics = {
  /** Executors' signed results: `/opg/2/results/<chainId>`. */
  results: string;
  /** Verifiers' batch signatures and proposals: `/opg/2/batch-signatures/<chainId>`. */
  batchSignatures: string;
};

/**
 * Topic names for `chainId`, as `@opg/protocol` defines them (`gossipTopics`); throws on a chain
 * id that is not a positive safe integer, so a misconfigured node never joins a bogus topic.
 */
export function topicsFor(chainId: number | bigint): OpgTopics {
  const valid = typeof chainId === "bigint" ? chainId > 0n : Number.isSafeInteger(chainId) && chainId > 0;
  if (!valid) {
    throw new P2PError("INVALID_OPTIONS", "chainId must be a positive integer.", {
      details: `got ${String(chainId)}`,
    });
  }
  const { results, batchSignatures } = gossipTopics(chainId);
  return { results, batchSignatures };
}
