import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { poseidonGroth16AdapterAbi } from "@opg/contracts";
import { encodeTensors, type TensorMap } from "@opg/protocol";
import { bytesToHex, encodeFunctionData, type Hex, hexToBytes } from "viem";
import {
  CIRCUITS_DIR,
  compileVerifierSolidity,
  deployZkContracts,
  settlementProof,
  type ZkArtifacts,
  type ZkProveResult,
} from "../src/index.js";
import { startInProcessEvm } from "../test/evm.js";

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

export type AdapterGas = {
  /** gasUsed of a transaction calling PoseidonGroth16Adapter.verifyResult. */
  gasUsed: number;
  /**
   * Its execution: gasUsed less the 21,000 base and the calldata (EIP-2028: 16 per non-zero byte,
   * 4 per zero byte), i.e. what the check adds inside settleWithProof, whose own transaction
   * already carries the input, output and proof.
   */
  executionGas: number;
  accepted: boolean;
  /** Gas to deploy the Groth16 verifier, the hashers and the adapter. */
  deployGas: number;
};

/**
 * The whole on-chain check of a result as InferenceHub.settleWithProof runs it: deploys what
 * `opg-exec models add --zk` deploys (`deployZkContracts`) on an in-process Hardhat (EDR) chain,
 * then a transaction calling the adapter's verifyResult with the result's canonical input and
 * output bytes and the proof (tensor parsing, quantization, two Poseidon commitments, pairing).
 */
export async function measureAdapterGas(
  artifacts: ZkArtifacts,
  inputs: TensorMap,
  result: ZkProveResult,
  executor: Hex,
): Promise<AdapterGas> {
  const evm = await startInProcessEvm("opg-zk-adapter-gas-");
  try {
    let deployGas = 0;
    const { adapter, weightsCommitment } = await deployZkContracts(artifacts, async (initCode) => {
      const { address, gasUsed } = await evm.deploy(initCode);
      deployGas += gasUsed;
      return address;
    });
    const data = encodeFunctionData({
      abi: poseidonGroth16AdapterAbi,
      functionName: "verifyResult",
      args: [
        artifacts.manifest.modelId,
        weightsCommitment,
        bytesToHex(encodeTensors(inputs)),
        bytesToHex(encodeTensors(result.outputs)),
        executor,
        settlementProof(result.points),
      ],
    });
    const ret = (await evm.provider.request({
      method: "eth_call",
      params: [{ from: evm.from, to: adapter, data }, "latest"],
    })) as Hex;
    const gasUsed = await evm.send(adapter, data);
    let calldataGas = 0;
    for (const b of hexToBytes(data)) calldataGas += b === 0 ? 4 : 16;
    return { gasUsed, executionGas: gasUsed - 21_000 - calldataGas, accepted: BigInt(ret) === 1n, deployGas };
  } finally {
    await evm.close();
  }
}
