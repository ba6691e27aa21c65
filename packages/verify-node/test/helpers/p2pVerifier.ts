import type { Logger } from "@opg/daemon";
import type { P2PNode } from "@opg/p2p";
import type { LocalNetwork } from "@opg/testkit";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { BatchCoordinatorOptions } from "../../src/batching/BatchCoordinator.js";
import { ContractChainView } from "../../src/chain/ContractChainView.js";
import { VerifierCore } from "../../src/VerifierCore.js";
import { wireVerifierGossip } from "../../src/wireVerifierGossip.js";
import { testSender } from "./localVerifiers.js";

/**
 * A VerifierCore for `key` on `net`'s chain, wired to `node` as the daemon wires them
 * (`wireVerifierGossip`): both topics subscribed, results served by hash; with `fetchResults`,
 * missing results fetched by hash too. The node is not started.
 */
export async function p2pVerifier(o: {
  net: LocalNetwork;
  key: Hex;
  node: P2PNode;
  dbPath: string;
  batching: Partial<BatchCoordinatorOptions>;
  logger: Logger;
  fetchResults?: boolean;
  pollIntervalMs?: number;
}): Promise<VerifierCore> {
  const { deployment } = o.net;
  const node = o.node;
  const core = new VerifierCore(
    { dbPath: o.dbPath, batching: o.batching, registry: {}, intake: {}, validation: {} },
    {
      chain: new ContractChainView({
        chainId: deployment.chainId,
        client: o.net.publicClient,
        addresses: {
          hub: deployment.inferenceHub,
          operatorRegistry: deployment.operatorRegistry,
          modelRegistry: deployment.modelRegistry,
        },
        publishers: [deployment.deployer],
        sender: testSender(o.net.publicClient, o.key),
        fromBlock: deployment.startBlock,
        ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
      }),
      signer: { address: privateKeyToAccount(o.key).address, privateKey: o.key },
      logger: o.logger,
      publishBatch: async (bytes) => {
        await node.publish(node.topics.batchSignatures, bytes);
      },
      ...(o.fetchResults ? { fetchResult: node.fetchResult.bind(node) } : {}),
    },
  );
  await wireVerifierGossip(node, core);
  return core;
}
