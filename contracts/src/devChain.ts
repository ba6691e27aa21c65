/**
 * An in-process development chain (Hardhat's EDR) served over JSON-RPC HTTP, for other packages' e2e
 * tests: start it, deploy with `deployOpg`, point daemons at `rpcUrl`. Node-only, needs `hardhat`
 * (present in this workspace): `@opg/contracts/dev-chain`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { Address, Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** Hardhat's default development mnemonic (the funded accounts of every dev chain). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Options of {@link startDevChain}. */
export interface DevChainOptions {
  /** Interface to bind (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Chain id (default 31337). */
  chainId?: number;
  /** Number of funded accounts (default 20). */
  accounts?: number;
}

/** A running development chain. */
export interface DevChain {
  rpcUrl: string;
  chainId: number;
  /** Funded accounts (10,000 ETH each), derived from {@link DEV_MNEMONIC}. */
  accounts: { address: Address; privateKey: Hex }[];
  close(): Promise<void>;
}

const CONTRACTS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Starts an in-process chain with automine and returns its URL and funded keys. */
export async function startDevChain(options: DevChainOptions = {}): Promise<DevChain> {
  const chainId = options.chainId ?? 31337;
  const count = options.accounts ?? 20;
  const hre = await createHardhatRuntimeEnvironment(
    {
      networks: {
        default: {
          type: "edr-simulated",
          chainId,
          accounts: { mnemonic: DEV_MNEMONIC, count },
        },
      },
    },
    {},
    CONTRACTS_ROOT,
  );
  const server = await hre.network.createServer(
    "default",
    options.hostname ?? "127.0.0.1",
    options.port ?? 0,
  );
  const { address, port } = await server.listen();
  const accounts = Array.from({ length: count }, (_, i) => {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
    const privateKey = account.getHdKey().privateKey;
    if (privateKey === null) throw new Error("dev chain: no private key");
    return { address: account.address, privateKey: `0x${Buffer.from(privateKey).toString("hex")}` as Hex };
  });
  return {
    rpcUrl: `http://${address}:${port}`,
    chainId,
    accounts,
    close: () => server.close(),
  };
}
