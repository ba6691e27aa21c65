/** Gossipsub topic names of one chain's opg network. */
export type GossipTopics = { results: string; batchSignatures: string };

export function gossipTopics(chainId: number | bigint): GossipTopics {
  return {
    results: `/opg/1/results/${chainId}`,
    batchSignatures: `/opg/1/batch-signatures/${chainId}`,
  };
}
