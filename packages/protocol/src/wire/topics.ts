/** Gossipsub topic names of one chain's opg network. */
export type GossipTopics = { results: string; batchSignatures: string };

/**
 * The topics of `chainId`. Their version is the gossip framing's: version 2 carries no envelope
 * signature and opens each message's data with a nonce (docs/protocol.md, "Gossip"). Version 1
 * nodes (signed envelopes) would reject every version 2 message, and the other way round, so the
 * two never share a topic.
 */
export function gossipTopics(chainId: number | bigint): GossipTopics {
  return {
    results: `/opg/2/results/${chainId}`,
    batchSignatures: `/opg/2/batch-signatures/${chainId}`,
  };
}
