import { deployOpg, type ModelSetup, type OpgDeployment } from "@opg/contracts";
import { createPublicClient, createWalletClient, type Hex, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { devPrivateKey } from "./devAccounts.js";

export type LocalNetworkOptions = {
  rpcUrl: string;
  verifiers: number;
  executors: number;
  /** Faults tolerated by the verifier set (default floor((n - 1) / 3)). */
  f?: number;
  models?: readonly ModelSetup[];
};

/** Who is who on a local network: dev accounts by role. */
export type LocalNetwork = {
  deployment: OpgDeployment;
  deployerKey: Hex;
  verifierKeys: Hex[];
  executorKeys: Hex[];
  /** Funded accounts that are neither operators nor the deployer. */
  requesterKeys: Hex[];
  publicClient: PublicClient;
};

/**
 * Deploys the opg contracts on a local dev chain and registers `verifiers` verifiers (one verifier
 * set with f) and `executors` executors, each the signing key of its own dev account.
 * Accounts: 0 deployer, then verifiers, then executors; the next 5 are requesters.
 */
export async function deployLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetwork> {
  const transport = http(options.rpcUrl);
  const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 100 });
  const wallet = (key: Hex) =>
    createWalletClient({ account: privateKeyToAccount(key), chain: hardhat, transport });
  const deployerKey = devPrivateKey(0);
  const verifierKeys = Array.from({ length: options.verifiers }, (_, i) => devPrivateKey(1 + i));
  const executorKeys = Array.from({ length: options.executors }, (_, i) =>
    devPrivateKey(1 + options.verifiers + i),
  );
  const first = 1 + options.verifiers + options.executors;
  const requesterKeys = Array.from({ length: 5 }, (_, i) => devPrivateKey(first + i));
  const deployment = await deployOpg({
    walletClient: wallet(deployerKey),
    publicClient,
    operators: [
      ...verifierKeys.map((k) => ({
        owner: wallet(k),
        signer: privateKeyToAccount(k),
        role: "verifier" as const,
      })),
      ...executorKeys.map((k) => ({
        owner: wallet(k),
        signer: privateKeyToAccount(k),
        role: "executor" as const,
      })),
    ],
    ...(options.f === undefined ? {} : { verifierF: options.f }),
    models: options.models ?? [],
  });
  return { deployment, deployerKey, verifierKeys, executorKeys, requesterKeys, publicClient };
}
