import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deployOpg, listingIdOf, modeMask, type OpgDeployment, ProofMode } from "@opg/contracts";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  numberToHex,
  type PrivateKeyAccount,
  type PublicClient,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createChainClient } from "../../src/clients/createChainClient.js";
import { type Eip1193, RpcProxy } from "./RpcProxy.js";

/** Absolute path of the contracts package (its Hardhat install provides the in-process chain). */
export const CONTRACTS_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../contracts");

type HardhatHre = {
  network: { connect(): Promise<{ provider: Eip1193; close(): Promise<void> }> };
};
type HardhatHreModule = {
  createHardhatRuntimeEnvironment(config: object, options: object, root: string): Promise<HardhatHre>;
};

/** A funded account with its private key (for the protocol's signing helpers). */
export type TestAccount = PrivateKeyAccount & { privateKey: Hex };

export type TestChain = {
  chainId: number;
  /** The in-process chain, without the proxy (never "down"). */
  provider: Eip1193;
  /** HTTP JSON-RPC in front of the chain; `down()` / `up()` simulate an outage. */
  proxy: RpcProxy;
  /** A public client through the proxy. */
  client: PublicClient;
  /** A public client straight to the chain (works while the proxy is down). */
  direct: PublicClient;
  mine(blocks?: number): Promise<void>;
  setAutomine(on: boolean): Promise<void>;
  blockNumber(): Promise<bigint>;
  /** A fresh account holding `eth` ether. */
  fundedAccount(eth?: string): Promise<TestAccount>;
  close(): Promise<void>;
};

/**
 * An in-process Hardhat 3 (EDR) chain, started through the `hardhat` package installed for the
 * contracts (this package does not depend on Hardhat), served over HTTP by an `RpcProxy`.
 */
export async function startTestChain(): Promise<TestChain> {
  const require = createRequire(resolve(CONTRACTS_ROOT, "package.json"));
  const { createHardhatRuntimeEnvironment } = (await import(
    require.resolve("hardhat/hre")
  )) as HardhatHreModule;
  const hre = await createHardhatRuntimeEnvironment({}, {}, CONTRACTS_ROOT);
  const connection = await hre.network.connect();
  const provider = connection.provider;
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  const proxy = new RpcProxy(provider);
  await proxy.up();
  // Fast, single-attempt client: the code under test does its own retrying.
  const client = createChainClient({ rpcUrl: proxy.url, chainId, retryCount: 0, timeoutMs: 5_000 });
  const direct = createPublicClient({
    chain: chainOf(chainId),
    transport: custom(provider, { retryCount: 0 }),
  });
  return {
    chainId,
    provider,
    proxy,
    client: client as PublicClient,
    direct: direct as PublicClient,
    mine: async (blocks = 1) => {
      await provider.request({ method: "hardhat_mine", params: [numberToHex(blocks)] });
    },
    setAutomine: async (on) => {
      await provider.request({ method: "evm_setAutomine", params: [on] });
    },
    blockNumber: async () => BigInt((await provider.request({ method: "eth_blockNumber" })) as string),
    fundedAccount: async (eth = "1000") => {
      const privateKey = generatePrivateKey();
      const account = privateKeyToAccount(privateKey);
      await provider.request({
        method: "hardhat_setBalance",
        params: [account.address, toHex(parseEther(eth))],
      });
      return Object.assign(account, { privateKey });
    },
    close: async () => {
      await proxy.down();
      await connection.close();
    },
  };
}

function chainOf(chainId: number): Chain {
  return {
    id: chainId,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://127.0.0.1"] } },
  };
}

/** A model every test can request: all modes, a small price. */
export const TEST_MODEL = {
  modelId: `0x${"ab".repeat(32)}` as Hex,
  metadataURI: "ipfs://test-model",
  modes: modeMask(ProofMode.NONE, ProofMode.TEE),
  price: 1_000n,
};

export type OpgFixture = {
  deployment: OpgDeployment;
  deployer: TestAccount;
  /** Verifier signing keys of the initial set (f = 1 of 3). */
  verifierKeys: TestAccount[];
  /** The deployer's listing of TEST_MODEL (what requests name). */
  listingId: Hex;
};

/** Deploys the opg contracts (from `@opg/contracts` bytecode) with 3 verifiers (f = 1) and `TEST_MODEL`. */
export async function deployTestOpg(chain: TestChain): Promise<OpgFixture> {
  const deployer = await chain.fundedAccount("100000");
  const transport = custom(chain.provider);
  const walletOf = (account: TestAccount) =>
    createWalletClient({ account, chain: chainOf(chain.chainId), transport });
  const verifierOwners = await Promise.all([0, 1, 2].map(() => chain.fundedAccount("100")));
  const verifierKeys = await Promise.all([0, 1, 2].map(() => chain.fundedAccount("0")));
  const deployment = await deployOpg({
    walletClient: walletOf(deployer),
    publicClient: chain.direct,
    registryParams: { minExecutorStake: parseEther("0.1"), minVerifierStake: parseEther("1") },
    operators: verifierOwners.map((owner, i) => ({
      owner: walletOf(owner),
      signer: verifierKeys[i] as TestAccount,
      role: "verifier" as const,
    })),
    verifierF: 1,
    models: [TEST_MODEL],
  });
  return { deployment, deployer, verifierKeys, listingId: listingIdOf(TEST_MODEL.modelId, deployer.address) };
}

/** A deadline `seconds` after the chain's latest block. */
export async function deadlineIn(chain: TestChain, seconds: number): Promise<bigint> {
  const block = await chain.direct.getBlock();
  return block.timestamp + BigInt(seconds);
}

/** A promise with its resolve function, for event-driven waits (no sleeps). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolveFn!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolveFn = r;
  });
  return { promise, resolve: resolveFn };
}

export type { Address };
