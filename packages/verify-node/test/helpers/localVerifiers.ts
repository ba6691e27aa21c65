import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TxSender } from "@opg/chain";
import { createLogger } from "@opg/daemon";
import type { LocalNetwork } from "@opg/testkit";
import type { Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { BatchCoordinatorOptions } from "../../src/batching/BatchCoordinator.js";
import { ContractChainView } from "../../src/chain/ContractChainView.js";
import type { CheckPoolOptions } from "../../src/pipeline/CheckPool.js";
import { VerifierCore } from "../../src/VerifierCore.js";
import type { VerifyMetrics } from "../../src/verifyMetrics.js";

/** A started transaction sender for `key` (what the daemon's runtime gives the chain view). */
export function testSender(client: PublicClient, key: Hex): TxSender {
  const sender = new TxSender({ chainId: hardhat.id }, { client, account: privateKeyToAccount(key) });
  sender.start();
  return sender;
}

/**
 * `n` verifier cores on one real chain, their batch gossip delivered to each other in process
 * (each message through the receiver's own topic validator, as libp2p would).
 */
export function localVerifiers(
  net: LocalNetwork,
  batching: Partial<BatchCoordinatorOptions>,
  /** Batch gossip passes while this returns true (default: always); dropped messages are regossiped later. */
  gossipOpen: () => boolean = () => true,
  /**
   * `checks`: the check pool's options (default: inline); `count`: only the first `count`
   * verifiers; `metrics`: each verifier's metrics, made as the daemon makes them (default: none).
   */
  extra: { checks?: Partial<CheckPoolOptions>; count?: number; metrics?: () => VerifyMetrics } = {},
): { cores: VerifierCore[]; deliverResult: (bytes: Uint8Array) => Promise<void>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "opg-verify-"));
  const logger = createLogger({ level: "silent" });
  const cores: VerifierCore[] = [];
  const { deployment } = net;
  net.verifierKeys.slice(0, extra.count ?? net.verifierKeys.length).forEach((key, i) => {
    const chain = new ContractChainView({
      chainId: deployment.chainId,
      client: net.publicClient,
      addresses: {
        hub: deployment.inferenceHub,
        operatorRegistry: deployment.operatorRegistry,
        modelRegistry: deployment.modelRegistry,
      },
      sender: testSender(net.publicClient, key),
      fromBlock: deployment.startBlock,
      publishers: [deployment.deployer],
      pollIntervalMs: 100,
    });
    const core: VerifierCore = new VerifierCore(
      {
        dbPath: join(dir, `v${i}.sqlite`),
        batching,
        registry: {},
        intake: {},
        validation: {},
        checks: extra.checks ?? {},
      },
      {
        chain,
        signer: { address: privateKeyToAccount(key).address, privateKey: key },
        logger,
        metrics: extra.metrics?.(),
        publishBatch: async (bytes) => {
          if (!gossipOpen()) return;
          for (const other of cores) {
            if (other === core) continue;
            other.batchGossip.validate(bytes).then(other.onBatchMessage, () => {});
          }
        },
      },
    );
    cores.push(core);
  });
  const deliverResult = async (bytes: Uint8Array) => {
    for (const core of cores) {
      try {
        core.intake.accept(await core.intake.validate(bytes));
      } catch {
        // refused: counted and recorded by the intake
      }
    }
  };
  return { cores, deliverResult, dir };
}
