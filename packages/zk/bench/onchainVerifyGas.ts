import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Hex } from "viem";
import { CIRCUITS_DIR, compileVerifierSolidity } from "../src/index.js";

type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

export type OnchainGas = {
  /** eth_estimateGas of a transaction calling verifyProof (21000 base + calldata + execution). */
  txGas: number;
  /** gasUsed of that transaction, mined. */
  gasUsed: number;
  /** What verifyProof returned for the proof. */
  accepted: boolean;
  solcVersion: string;
  deployGas: number;
};

/**
 * Compiles the generated verifier with the contracts project's solc (npm `solc`, optimizer on,
 * 200 runs) and runs it on an in-process Hardhat (EDR) chain: deploy, then a verifyProof
 * transaction with the proof's calldata. Borrows contracts/node_modules without touching it.
 */
export async function measureOnchainVerifyGas(solidity: string, calldata: Hex): Promise<OnchainGas> {
  const contractsDir = join(CIRCUITS_DIR, "..", "contracts");
  const req = createRequire(join(contractsDir, "package.json"));
  const { bytecode: code, solcVersion } = compileVerifierSolidity(solidity);
  const bytecode = code.slice(2);

  const hreModule = (await import(pathToFileURL(req.resolve("hardhat/hre")).href)) as {
    createHardhatRuntimeEnvironment(
      config: object,
      options?: object,
      root?: string,
    ): Promise<{
      network: { connect(): Promise<{ provider: Provider; close(): Promise<void> }> };
    }>;
  };
  const root = await mkdtemp(join(tmpdir(), "opg-zk-gas-"));
  await writeFile(
    join(root, "package.json"),
    '{ "name": "opg-zk-gas-bench", "private": true, "type": "module" }\n',
  );
  try {
    const hre = await hreModule.createHardhatRuntimeEnvironment({}, {}, root);
    const conn = await hre.network.connect();
    const p = conn.provider;
    const [from] = (await p.request({ method: "eth_accounts" })) as string[];
    const deployHash = await p.request({
      method: "eth_sendTransaction",
      params: [{ from, data: `0x${bytecode}` }],
    });
    const deployReceipt = (await p.request({
      method: "eth_getTransactionReceipt",
      params: [deployHash],
    })) as {
      contractAddress: string;
      gasUsed: string;
    };
    const to = deployReceipt.contractAddress;
    const ret = (await p.request({
      method: "eth_call",
      params: [{ from, to, data: calldata }, "latest"],
    })) as string;
    const txGas = Number(
      await p.request({ method: "eth_estimateGas", params: [{ from, to, data: calldata }] }),
    );
    const hash = await p.request({ method: "eth_sendTransaction", params: [{ from, to, data: calldata }] });
    const receipt = (await p.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
      gasUsed: string;
    };
    await conn.close();
    return {
      txGas,
      gasUsed: Number(receipt.gasUsed),
      accepted: BigInt(ret) === 1n,
      solcVersion,
      deployGas: Number(deployReceipt.gasUsed),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
