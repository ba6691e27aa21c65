import { poseidonGroth16AdapterAbi } from "@opg/contracts";
import { encodeTensors, type TensorMap } from "@opg/protocol";
import { bytesToHex, concatHex, encodeFunctionData, type Hex, hexToBytes, numberToHex } from "viem";
import { settlementProof, type ZkArtifacts, type ZkProveResult } from "../src/index.js";
import { compileVerifierSolidity, deployZkContracts, poseidonExBytecode } from "../src/toolchain.js";
import { startInProcessEvm } from "../test/evm.js";

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
 * transaction with the proof's calldata.
 */
export async function measureOnchainVerifyGas(solidity: string, calldata: Hex): Promise<OnchainGas> {
  const { bytecode, solcVersion } = compileVerifierSolidity(solidity);
  const evm = await startInProcessEvm("opg-zk-gas-");
  try {
    const { address: to, gasUsed: deployGas } = await evm.deploy(bytecode);
    const call = { from: evm.from, to, data: calldata };
    const ret = (await evm.provider.request({ method: "eth_call", params: [call, "latest"] })) as string;
    const txGas = Number(await evm.provider.request({ method: "eth_estimateGas", params: [call] }));
    return {
      txGas,
      gasUsed: await evm.send(to, calldata),
      accepted: BigInt(ret) === 1n,
      solcVersion,
      deployGas,
    };
  } finally {
    await evm.close();
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

/**
 * gasUsed of a transaction calling the generated PoseidonEx(n) hasher once (initial state and n
 * inputs, all non-zero), for each n: what one VectorCommit block costs the adapter.
 */
export async function measureHasherGas(widths: readonly number[]): Promise<Record<number, number>> {
  const evm = await startInProcessEvm("opg-zk-hasher-gas-");
  try {
    const out: Record<number, number> = {};
    for (const n of widths) {
      const { address } = await evm.deploy(poseidonExBytecode(n));
      const words = Array.from({ length: n + 1 }, (_, i) => BigInt(i + 1) * 0x1234567890abcdefn);
      out[n] = await evm.send(address, concatHex(words.map((w) => numberToHex(w, { size: 32 }))));
    }
    return out;
  } finally {
    await evm.close();
  }
}
