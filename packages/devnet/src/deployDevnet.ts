import { join } from "node:path";
import { connect, deployNetwork, setVerifierSet } from "@opg/admin";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import type { ModelSetup } from "@opg/contracts";
import { createLogger } from "@opg/daemon";
import { registerOperator } from "@opg/runtime";
import { devPrivateKey, type LocalNetwork } from "@opg/testkit";
import { createPublicClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

/**
 * The devnet's network, set up with the code of the operators' commands: `opg-admin deploy`
 * (writes `<dir>/deployments/<chainId>.json`), `opg-verify register` / `opg-exec register` for
 * each node key with the role's minimum stake, `opg-admin verifiers set … --f`, then the models
 * in the ModelRegistry (owned by the deployer). Accounts as in testkit's `deployLocalNetwork`:
 * 0 deployer, then verifiers, then executors, then 5 requesters.
 */
export async function deployDevnet(options: {
  rpcUrl: string;
  dir: string;
  verifiers: number;
  executors: number;
  f: number;
  models: readonly ModelSetup[];
}): Promise<LocalNetwork> {
  const deployerKey = devPrivateKey(0);
  const verifierKeys = Array.from({ length: options.verifiers }, (_, i) => devPrivateKey(1 + i));
  const executorKeys = Array.from({ length: options.executors }, (_, i) =>
    devPrivateKey(1 + options.verifiers + i),
  );
  const first = 1 + options.verifiers + options.executors;
  const requesterKeys = Array.from({ length: 5 }, (_, i) => devPrivateKey(first + i));
  const target = {
    rpcUrl: options.rpcUrl,
    privateKey: deployerKey,
    deployments: join(options.dir, "deployments"),
  };

  const { deployment } = await deployNetwork(target, {}, { force: true });
  const client = createChainClient({
    rpcUrl: options.rpcUrl,
    chainId: deployment.chainId,
    pollingIntervalMs: 100,
  });
  const logger = createLogger({ level: "warn" });
  const mins = deployment.registryParams;
  const join_ = async (key: Hex, role: "executor" | "verifier") => {
    const account = privateKeyToAccount(key);
    const sender = new TxSender(
      { chainId: deployment.chainId, receiptPollIntervalMs: 100 },
      { client, account, logger },
    );
    sender.start();
    try {
      await registerOperator({
        contracts: new OpgContracts(deployment, { client, sender }),
        client,
        account,
        role,
        stake: role === "executor" ? mins.minExecutorStake : mins.minVerifierStake,
        cliName: role === "executor" ? "opg-exec" : "opg-verify",
      });
    } finally {
      sender.stop();
    }
  };
  for (const key of verifierKeys) await join_(key, "verifier");
  for (const key of executorKeys) await join_(key, "executor");

  const admin = await connect(target);
  try {
    await setVerifierSet(
      admin.contracts,
      verifierKeys.map((k) => privateKeyToAccount(k).address),
      options.f,
    );
    // The deployer publishes the devnet's listings (daemons resolve direct requests to its listings).
    for (const model of options.models) await admin.contracts.models.createListing(model);
  } finally {
    admin.stop();
  }
  const publicClient = createPublicClient({
    chain: hardhat,
    transport: http(options.rpcUrl),
    pollingInterval: 100,
  });
  return { deployment, deployerKey, verifierKeys, executorKeys, requesterKeys, publicClient };
}
