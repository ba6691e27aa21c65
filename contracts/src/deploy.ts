import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  getAddress,
  type Hash,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  enclaveRegistryAbi,
  inferenceHubAbi,
  modelRegistryAbi,
  operatorRegistryAbi,
} from "../generated/abis/index.js";
import {
  enclaveRegistryBytecode,
  inferenceHubBytecode,
  modelRegistryBytecode,
  operatorRegistryBytecode,
} from "../generated/bytecode/index.js";
import { OperatorRole } from "./constants.js";
import type { OpgDeployment, RegistryParams } from "./deployment.js";
import { signSignerBinding } from "./signerBinding.js";

/** Defaults for {@link RegistryParams} (treasury defaults to the admin). */
export const DEFAULT_REGISTRY_PARAMS: Omit<RegistryParams, "treasury"> = {
  minExecutorStake: 10n ** 17n, // 0.1 ETH
  minVerifierStake: 10n ** 18n, // 1 ETH
  challengeWindow: 86_400n, // 1 day
  unbondingDelay: 7n * 86_400n, // 7 days
  challengerShareBps: 1_000, // a 10 % bounty to the challenger (the most allowed), the rest to the treasury
};

/** A wallet client with an account (chain optional: plain RPC URLs work). */
export type DeployerClient = WalletClient<Transport, Chain | undefined, Account>;

/** An operator to register during deployment. */
export interface OperatorSetup {
  /** Owner: stakes and sends the registration. */
  owner: DeployerClient;
  /** Signing key (may be the owner's own key); signs the proof of possession. */
  signer: Pick<LocalAccount, "address" | "signTypedData">;
  role: "executor" | "verifier";
  /** Stake in wei (defaults to the role's minimum). */
  stake?: bigint;
}

/**
 * A model listing to create during deployment (ModelRegistry.ListingRegistration), owned by the
 * deployer: its id is `listingIdOf(modelId, deployer, i)` for the deployer's i-th listing of the model.
 */
export interface ModelSetup {
  modelId: Hex;
  metadataURI: string;
  /** Mode bitmask (see modeMask). */
  modes: number;
  price: bigint;
  weightsCommitment?: Hex;
  zkVerifier?: Address;
  vkHash?: Hex;
  measurements?: readonly Hex[];
}

/** Options of {@link deployOpg}. */
export interface DeployOpgOptions {
  /** Deployer; also registers the models. */
  walletClient: DeployerClient;
  publicClient: PublicClient;
  /** Registry owner (governance); defaults to the deployer. Configuration below needs admin = deployer. */
  admin?: Address;
  /** Registry parameters; missing fields take {@link DEFAULT_REGISTRY_PARAMS}. */
  registryParams?: Partial<RegistryParams>;
  /** Operators to register. */
  operators?: readonly OperatorSetup[];
  /** f of the initial verifier set made of all registered verifiers; default floor((n - 1) / 3). */
  verifierF?: number;
  /** Model listings to create (owned by the deployer). */
  models?: readonly ModelSetup[];
}

const ZERO_HASH = `0x${"0".repeat(64)}` as const;
const ZERO_ADDRESS = `0x${"0".repeat(40)}` as const;

async function waitOk(publicClient: PublicClient, hash: Hash, what: string) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`deployOpg: ${what} reverted (tx ${hash})`);
  return receipt;
}

async function write<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
  args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
>(
  client: DeployerClient,
  publicClient: PublicClient,
  request: { address: Address; abi: abi; functionName: functionName; args: args; value?: bigint },
): Promise<void> {
  // viem's writeContract generics do not narrow through this wrapper; the call is checked at the call sites.
  const hash = await (client.writeContract as (p: unknown) => Promise<Hash>)({
    ...request,
    account: client.account,
    chain: client.chain ?? null,
  });
  await waitOk(publicClient, hash, `${String(request.functionName)} on ${request.address}`);
}

/**
 * Deploys OperatorRegistry, ModelRegistry, InferenceHub and EnclaveRegistry (on the hub's registries), wires
 * them (registry.setHub), and optionally
 * registers operators, sets the initial verifier set and registers models. Works against any viem client
 * (in-process Hardhat network, `hardhat node`, anvil, a public RPC).
 */
export async function deployOpg(options: DeployOpgOptions): Promise<OpgDeployment> {
  const { walletClient, publicClient } = options;
  const deployer = getAddress(walletClient.account.address);
  const admin = getAddress(options.admin ?? deployer);
  const chainId = await publicClient.getChainId();
  const registryParams: RegistryParams = {
    ...DEFAULT_REGISTRY_PARAMS,
    treasury: admin,
    ...options.registryParams,
  };
  const chain = walletClient.chain ?? null;

  const registryHash = await walletClient.deployContract({
    abi: operatorRegistryAbi,
    bytecode: operatorRegistryBytecode,
    args: [
      deployer,
      {
        minExecutorStake: registryParams.minExecutorStake,
        minVerifierStake: registryParams.minVerifierStake,
        challengeWindow: registryParams.challengeWindow,
        unbondingDelay: registryParams.unbondingDelay,
        treasury: registryParams.treasury,
        challengerShareBps: registryParams.challengerShareBps,
      },
    ],
    account: walletClient.account,
    chain,
  });
  const registryReceipt = await waitOk(publicClient, registryHash, "OperatorRegistry deployment");
  if (registryReceipt.contractAddress == null) throw new Error("deployOpg: no OperatorRegistry address");
  const operatorRegistry = getAddress(registryReceipt.contractAddress);

  const modelHash = await walletClient.deployContract({
    abi: modelRegistryAbi,
    bytecode: modelRegistryBytecode,
    args: [operatorRegistry],
    account: walletClient.account,
    chain,
  });
  const modelAddress = (await waitOk(publicClient, modelHash, "ModelRegistry deployment")).contractAddress;
  if (modelAddress == null) throw new Error("deployOpg: no ModelRegistry address");
  const modelRegistry = getAddress(modelAddress);

  const hubHash = await walletClient.deployContract({
    abi: inferenceHubAbi,
    bytecode: inferenceHubBytecode,
    args: [operatorRegistry, modelRegistry],
    account: walletClient.account,
    chain,
  });
  const hubAddress = (await waitOk(publicClient, hubHash, "InferenceHub deployment")).contractAddress;
  if (hubAddress == null) throw new Error("deployOpg: no InferenceHub address");
  const inferenceHub = getAddress(hubAddress);

  const enclaveHash = await walletClient.deployContract({
    abi: enclaveRegistryAbi,
    bytecode: enclaveRegistryBytecode,
    args: [inferenceHub],
    account: walletClient.account,
    chain,
  });
  const enclaveAddress = (await waitOk(publicClient, enclaveHash, "EnclaveRegistry deployment"))
    .contractAddress;
  if (enclaveAddress == null) throw new Error("deployOpg: no EnclaveRegistry address");
  const enclaveRegistry = getAddress(enclaveAddress);

  await write(walletClient, publicClient, {
    address: operatorRegistry,
    abi: operatorRegistryAbi,
    functionName: "setHub",
    args: [inferenceHub],
  });

  const verifierSigners: Address[] = [];
  for (const op of options.operators ?? []) {
    const role = op.role === "executor" ? OperatorRole.EXECUTOR : OperatorRole.VERIFIER;
    const signature = await signSignerBinding(op.signer, {
      chainId,
      operatorRegistry,
      operator: op.owner.account.address,
      role,
    });
    const stake =
      op.stake ??
      (op.role === "executor" ? registryParams.minExecutorStake : registryParams.minVerifierStake);
    await write(op.owner, publicClient, {
      address: operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "register",
      args: [role, op.signer.address, signature],
      value: stake,
    });
    if (op.role === "verifier") verifierSigners.push(op.signer.address);
  }
  if (verifierSigners.length > 0) {
    const f = options.verifierF ?? Math.floor((verifierSigners.length - 1) / 3);
    await write(walletClient, publicClient, {
      address: operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "setVerifierConfig",
      args: [verifierSigners, f],
    });
  }

  for (const model of options.models ?? []) {
    await write(walletClient, publicClient, {
      address: modelRegistry,
      abi: modelRegistryAbi,
      functionName: "createListing",
      args: [
        {
          modelId: model.modelId,
          metadataURI: model.metadataURI,
          modes: model.modes,
          price: model.price,
          weightsCommitment: model.weightsCommitment ?? ZERO_HASH,
          zkVerifier: model.zkVerifier ?? ZERO_ADDRESS,
          vkHash: model.vkHash ?? ZERO_HASH,
          measurements: model.measurements ?? [],
        },
      ],
    });
  }

  if (admin !== deployer) {
    // Ownable2Step: the admin must call acceptOwnership().
    await write(walletClient, publicClient, {
      address: operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "transferOwnership",
      args: [admin],
    });
  }

  return {
    chainId,
    inferenceHub,
    operatorRegistry,
    modelRegistry,
    enclaveRegistry,
    startBlock: registryReceipt.blockNumber,
    deployer,
    admin,
    registryParams,
  };
}
