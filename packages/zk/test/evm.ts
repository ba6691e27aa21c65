import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Hex } from "viem";
import { CIRCUITS_DIR } from "../src/toolchain.js";

export type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** An in-process Hardhat 3 (EDR) chain with its first funded account. */
export type InProcessEvm = {
  provider: Provider;
  from: string;
  /** Sends a creation transaction; returns the contract address and the gas it used. */
  deploy(initCode: Hex): Promise<{ address: Hex; gasUsed: number }>;
  /** Mines a transaction; returns its receipt's gasUsed. */
  send(to: Hex, data: Hex): Promise<number>;
  close(): Promise<void>;
};

/**
 * Starts an in-process Hardhat (EDR) network, borrowing the contracts project's hardhat
 * (contracts/node_modules) without touching it; the Hardhat project root is a throwaway temp dir.
 */
export async function startInProcessEvm(tmpPrefix = "opg-zk-evm-"): Promise<InProcessEvm> {
  const contractsDir = join(CIRCUITS_DIR, "..", "contracts");
  const req = createRequire(join(contractsDir, "package.json"));
  const hreModule = (await import(pathToFileURL(req.resolve("hardhat/hre")).href)) as {
    createHardhatRuntimeEnvironment(
      config: object,
      options?: object,
      root?: string,
    ): Promise<{
      network: { connect(): Promise<{ provider: Provider; close(): Promise<void> }> };
    }>;
  };
  const root = await mkdtemp(join(tmpdir(), tmpPrefix));
  try {
    await writeFile(
      join(root, "package.json"),
      '{ "name": "opg-zk-evm", "private": true, "type": "module" }\n',
    );
    const hre = await hreModule.createHardhatRuntimeEnvironment({}, {}, root);
    const conn = await hre.network.connect();
    const provider = conn.provider;
    const [from] = (await provider.request({ method: "eth_accounts" })) as string[];
    if (!from) throw new Error("in-process EVM has no accounts");
    const receipt = async (hash: unknown) =>
      (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
        contractAddress: Hex | null;
        gasUsed: string;
        status: string;
      };
    return {
      provider,
      from,
      async deploy(initCode) {
        const hash = await provider.request({
          method: "eth_sendTransaction",
          params: [{ from, data: initCode }],
        });
        const r = await receipt(hash);
        if (!r.contractAddress || r.status !== "0x1") throw new Error("deployment failed");
        return { address: r.contractAddress, gasUsed: Number(r.gasUsed) };
      },
      async send(to, data) {
        const hash = await provider.request({ method: "eth_sendTransaction", params: [{ from, to, data }] });
        return Number((await receipt(hash)).gasUsed);
      },
      async close() {
        await conn.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
}
