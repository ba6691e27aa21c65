import { existsSync } from "node:fs";
import {
  checkDeployment,
  createChainClient,
  deploymentPath,
  loadDeployment,
  OpgContracts,
  type OpgDeployment,
  TxSender,
} from "@opg/chain";
import { DEFAULT_REGISTRY_PARAMS, deployOpg, type RegistryParams } from "@opg/contracts";
import { writeDeploymentFile } from "@opg/contracts/node";
import { createLogger } from "@opg/daemon";
import { OpgError } from "@opg/protocol";
import { eth } from "@opg/runtime";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PrivateKeyAccount,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBalance, getChainId } from "viem/actions";

/** Where the network owner's commands run: RPC, owner key, deployments folder (or file). */
export type AdminTarget = { rpcUrl: string; privateKey: Hex; deployments: string };

/**
 * Deploys the opg contracts with `params` and writes `<dir>/<chainId>.json`, the file each daemon
 * reads from its data dir's `deployments/` (`init --deployment <file>` copies it there). Refuses to
 * replace a file whose contracts are live on this chain unless `force`.
 */
export async function deployNetwork(
  target: AdminTarget,
  params: Partial<RegistryParams> = {},
  options: { force?: boolean } = {},
): Promise<{ deployment: OpgDeployment; file: string }> {
  const account = privateKeyToAccount(target.privateKey);
  const transport = http(target.rpcUrl);
  const publicClient = createPublicClient({ transport, pollingInterval: 250 });
  const chainId = await chainIdAt(target.rpcUrl);
  const file = deploymentPath(target.deployments, chainId);
  if (existsSync(file) && !options.force) {
    const existing = await loadDeployment({ file, chainId });
    const live = await checkDeployment(publicClient, existing).then(
      () => true,
      () => false,
    );
    if (live)
      throw new OpgError(
        "ALREADY_DEPLOYED",
        `${file} names contracts that are live on chain ${chainId} (InferenceHub ${existing.inferenceHub}): keep using them, or pass --force to deploy a new network.`,
      );
  }
  const balance = await getBalance(publicClient, { address: account.address });
  if (balance === 0n)
    throw new OpgError(
      "OWNER_UNFUNDED",
      `The owner key ${account.address} holds 0 ETH on ${target.rpcUrl}: fund it to pay for the deployment.`,
    );
  const deployment = await deployOpg({
    walletClient: createWalletClient({ account, transport }),
    publicClient,
    registryParams: params,
  });
  return { deployment, file: await writeDeploymentFile(target.deployments, deployment) };
}

/** The deployment and typed contracts with the owner's key as sender; `stop()` when done. */
export async function connect(target: AdminTarget): Promise<{
  deployment: OpgDeployment;
  contracts: OpgContracts;
  account: PrivateKeyAccount;
  sender: TxSender;
  stop(): void;
}> {
  const chainId = await chainIdAt(target.rpcUrl);
  const client = createChainClient({ rpcUrl: target.rpcUrl, chainId });
  const deployment = await loadDeploymentAt(target.deployments, chainId);
  const account = privateKeyToAccount(target.privateKey);
  const sender = new TxSender({ chainId }, { client, account, logger: createLogger({ level: "warn" }) });
  sender.start();
  return {
    deployment,
    contracts: new OpgContracts(deployment, { client, sender }),
    account,
    sender,
    stop: () => sender.stop(),
  };
}

/** The chain id the RPC serves; an unreachable RPC is an error naming its URL. */
export async function chainIdAt(rpcUrl: string): Promise<number> {
  try {
    return await getChainId(
      createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 10_000 }) }),
    );
  } catch (cause) {
    throw new OpgError(
      "RPC_UNAVAILABLE",
      `No chain answers at ${rpcUrl}: start it, or pass --rpc-url (OPG_CHAIN_RPC_URL).`,
      { cause },
    );
  }
}

async function loadDeploymentAt(path: string, chainId: number): Promise<OpgDeployment> {
  return path.endsWith(".json")
    ? loadDeployment({ file: path, chainId })
    : loadDeployment({ dir: path, chainId });
}

/**
 * Replaces the verifier set: each signer must be an active verifier (registered with the minimum
 * stake), and f + 1 ≤ n (a batch settles with f + 1 signatures; n ≥ 3f + 1 also keeps the set live
 * and safe with f faulty verifiers). Checked here first so the error names the signer and the fix.
 */
export async function setVerifierSet(contracts: OpgContracts, signers: readonly Address[], f: number) {
  const registry = contracts.registry;
  if (!Number.isInteger(f) || f < 0 || f > 255)
    throw new OpgError("INVALID_ARGUMENT", `f is a whole number of faults tolerated (0…255); got ${f}.`);
  if (signers.length === 0 || signers.length < f + 1)
    throw new OpgError(
      "INVALID_VERIFIER_SET",
      `${signers.length} verifier(s) cannot give the f + 1 = ${f + 1} signatures a batch needs: name more signers or lower --f.`,
    );
  const mins = await registry.getMinStakes();
  for (const signer of signers) {
    if (!(await registry.isActiveVerifier(signer)))
      throw new OpgError(
        "NOT_AN_ACTIVE_VERIFIER",
        `${signer} is not an active verifier in the OperatorRegistry ${registry.address}: its operator runs \`opg-verify register --stake ${eth(mins.verifier).replace(" ETH", "")}\` (the minimum is ${eth(mins.verifier)}) first.`,
      );
  }
  const tx = await registry.setVerifierConfig(signers, f);
  const set = await registry.getVerifierSet();
  return { tx: tx.hash, signers: set.signers, f: set.f, quorum: set.f + 1, configDigest: set.configDigest };
}

/** The registry's minimum stakes, in ETH. */
export async function showStakes(contracts: OpgContracts) {
  const mins = await contracts.registry.getMinStakes();
  return { executor: eth(mins.executor), verifier: eth(mins.verifier) };
}

/** Sets the minimum stakes (wei); operators under a new minimum stop counting as active. */
export async function setMinStakes(contracts: OpgContracts, executor: bigint, verifier: bigint) {
  const tx = await contracts.registry.setMinStakes(executor, verifier);
  return { tx: tx.hash, ...(await showStakes(contracts)) };
}

export { DEFAULT_REGISTRY_PARAMS };

/** The InferenceHub's fee split and pause state, with the shares as percentages. */
export async function showHubGovernance(contracts: OpgContracts) {
  const g = await contracts.hub.governance();
  return {
    verifierFeeBps: g.verifierFeeBps,
    verifierShare: percent(g.verifierFeeBps),
    executorShare: percent(10_000 - g.verifierFeeBps),
    maxVerifierFeeBps: g.maxVerifierFeeBps,
    paused: g.paused,
    owner: g.owner,
  };
}

/** Basis points as a percentage ("12.5 %"). */
function percent(bps: number): string {
  return `${bps / 100} %`;
}

/** Refuses (naming both addresses) when `contracts`' sender is not the network owner. */
async function requireNetworkOwner(contracts: OpgContracts, what: string): Promise<void> {
  const { owner } = await contracts.hub.governance();
  const sender = contracts.hub.from;
  if (sender === undefined || owner.toLowerCase() !== sender.toLowerCase())
    throw new OpgError(
      "NOT_NETWORK_OWNER",
      `Only the network owner ${owner} (the OperatorRegistry's owner) can ${what}; the key in --key-file is ${sender}: pass the owner's key file.`,
    );
}

/**
 * Sets the verifier fee share: `bps` basis points of each delivered fee go to the verifier that
 * settled the result's batch (batches settled from now on), the rest to the executor. Bounded by
 * the hub's `MAX_VERIFIER_FEE_BPS` (50 %).
 */
export async function setFeeSplit(contracts: OpgContracts, bps: number) {
  const { maxVerifierFeeBps } = await contracts.hub.governance();
  if (!Number.isInteger(bps) || bps < 0 || bps > maxVerifierFeeBps)
    throw new OpgError(
      "INVALID_ARGUMENT",
      `The verifier fee share is a whole number of basis points from 0 to ${maxVerifierFeeBps} (${percent(maxVerifierFeeBps)}; 1000 = 10 %); got ${bps}.`,
    );
  await requireNetworkOwner(contracts, "set the fee split");
  const tx = await contracts.hub.setVerifierFeeBps(bps);
  return { tx: tx.hash, ...(await showHubGovernance(contracts)) };
}

/**
 * Pauses (or unpauses) the InferenceHub: no new requests and no settlement while paused; delivery
 * of batches settled before, refunds and withdrawals stay open. Pausing a paused hub (or unpausing
 * a running one) changes nothing and sends no transaction.
 */
export async function setPaused(contracts: OpgContracts, paused: boolean) {
  await requireNetworkOwner(contracts, paused ? "pause the network" : "unpause the network");
  const before = await contracts.hub.governance();
  if (before.paused === paused) return { tx: null, ...(await showHubGovernance(contracts)) };
  const tx = paused ? await contracts.hub.pause() : await contracts.hub.unpause();
  return { tx: tx.hash, ...(await showHubGovernance(contracts)) };
}
