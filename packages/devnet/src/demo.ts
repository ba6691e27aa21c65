import { exampleClassifierConsumerAbi, exampleClassifierConsumerBytecode, listingIdOf } from "@opg/contracts";
import { encodeTensors, ProofMode, proofModeName, resultHash, type TensorMap } from "@opg/protocol";
import { createOpgClient, type Delivery, type OpgClient, OpgSdkError } from "@opg/sdk";
import { bytesToHex, createWalletClient, type Hex, http, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { Devnet } from "./Devnet.js";
import { formatTable, short } from "./table.js";

/** One request of the demo, as the table shows it. */
export type DemoRow = {
  via: string;
  mode: string;
  model: string;
  requestId: Hex;
  resultHash: Hex;
  proofChecked: boolean;
  /** What checked it (default: the SDK, against the settled batch's on-chain root). */
  checkedBy?: string;
  /** The settled batch (0: settled by its own proof, without a batch). */
  batchId: bigint;
  settlementTx: Hex | null;
  delivered: string;
  msToSettled: number;
};

/** Iris flower measurements (cm): sepal length, sepal width, petal length, petal width. */
const IRIS_SAMPLES: readonly [string, readonly number[]][] = [
  ["setosa", [5.1, 3.5, 1.4, 0.2]],
  ["versicolor", [6.4, 3.2, 4.5, 1.5]],
  ["virginica", [6.3, 3.3, 6.0, 2.5]],
];

function irisInput(features: readonly number[]): TensorMap {
  return { input: { dtype: "float32", dims: [1, 4], data: new Float32Array(features) } };
}

/**
 * The devnet demo, as a dApp developer would write it:
 * 1. an example dApp contract asks the hub to classify an iris flower on chain; once the
 *    verifiers settle the result, the SDK delivers it and the contract's callback stores the class;
 * 2. an SDK client sends a signed direct request to an executor for every other model and mode;
 * 3. every result is checked against the on-chain root by the SDK, independently of verifiers;
 * 4. the trustless path: an on-chain ZK request that the SDK settles by the executor's proof
 *    (`settleWithProof`: the hub's ZK adapter checks the Groth16 proof), with no quorum or batch.
 */
export async function runDemo(devnet: Devnet, log: (line: string) => void): Promise<DemoRow[]> {
  const key = devnet.net.requesterKeys[0]!;
  const rows: DemoRow[] = [];
  const client = (execIndex: number) =>
    createOpgClient({
      rpcUrl: devnet.chain.rpcUrl,
      hub: devnet.net.deployment.inferenceHub,
      execUrl: devnet.execs[execIndex % devnet.execs.length]!.httpUrl,
      verifyUrl: devnet.verifiers.map((v) => v.httpUrl),
      account: key,
      // The devnet deployer publishes every listing; requests by modelId go to its listings.
      publisher: devnet.net.deployment.deployer,
    });

  // 1. The example dApp, on chain.
  const iris = devnet.modelIds.get("iris-mlp");
  if (iris) {
    const wallet = createWalletClient({
      account: privateKeyToAccount(key),
      chain: hardhat,
      transport: http(devnet.chain.rpcUrl),
    });
    const deployHash = await wallet.deployContract({
      abi: exampleClassifierConsumerAbi,
      bytecode: exampleClassifierConsumerBytecode,
      args: [
        devnet.net.deployment.inferenceHub,
        listingIdOf(iris, devnet.net.deployment.deployer),
        ProofMode.NONE,
        "logits",
        ["setosa", "versicolor", "virginica"],
        300_000,
      ],
    });
    const dapp = (await devnet.net.publicClient.waitForTransactionReceipt({ hash: deployHash }))
      .contractAddress!;
    log(`demo: example dApp deployed at ${dapp}`);
    const sdk = client(0);
    for (const [expected, features] of IRIS_SAMPLES) {
      const t0 = performance.now();
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const hash = await wallet.writeContract({
        address: dapp,
        abi: exampleClassifierConsumerAbi,
        functionName: "classify",
        args: [bytesToHex(encodeTensors(irisInput(features))), 0n, deadline],
      });
      const receipt = await devnet.net.publicClient.waitForTransactionReceipt({ hash });
      const [requested] = parseEventLogs({
        abi: exampleClassifierConsumerAbi,
        eventName: "ClassificationRequested",
        logs: receipt.logs,
      });
      const requestId = requested!.args.requestId;
      const settled = await sdk.waitForSettlement(requestId, { timeoutMs: 120_000 });
      const msToSettled = performance.now() - t0;
      const verification = await sdk.verifyResult(requestId);
      const delivery = await sdk.deliver(requestId);
      const label = await devnet.net.publicClient.readContract({
        address: dapp,
        abi: exampleClassifierConsumerAbi,
        functionName: "labelOf",
        args: [requestId],
      });
      log(`demo: dApp classified ${features.join("/")} as ${label} (expected ${expected})`);
      rows.push({
        via: "dApp (on chain)",
        mode: "NONE",
        model: "iris-mlp",
        requestId,
        resultHash: settled.resultHash,
        proofChecked: verification.verified,
        batchId: settled.batchId,
        settlementTx: settled.settlementTx,
        delivered: delivery.callbackSuccess ? `callback: ${label}` : "callback failed",
        msToSettled,
      });
    }
  }

  // 2. Direct requests through the SDK, every other registered model and mode.
  let n = 0;
  for (const model of devnet.options.models) {
    for (const mode of model.modes) {
      const modelId = devnet.modelIds.get(model.name)!;
      const sdk = client(n++);
      const inputs = model.name === "iris-mlp" ? irisInput(IRIS_SAMPLES[n % 3]![1]) : model.demoInputs?.();
      if (!inputs) continue;
      const t0 = performance.now();
      const answer = await sdk.requestDirect({ modelId, inputs, mode });
      const settled = await sdk.waitForSettlement(answer.requestId, { timeoutMs: 120_000 });
      const msToSettled = performance.now() - t0;
      const verification = await sdk.verifyResult(answer.requestId);
      rows.push({
        via: "SDK (direct)",
        mode: proofModeName(mode),
        model: model.name,
        requestId: answer.requestId,
        resultHash: settled.resultHash,
        proofChecked: verification.verified,
        batchId: settled.batchId,
        settlementTx: settled.settlementTx,
        delivered: "to the client (HTTP)",
        msToSettled,
      });
      log(`demo: ${model.name} in ${proofModeName(mode)} settled in batch ${settled.batchId}`);
    }
  }
  // 3. The trustless path: an on-chain ZK request settled by its proof alone, without the quorum.
  const irisModel = devnet.options.models.find((m) => m.name === "iris-mlp");
  if (iris && irisModel?.modes.includes(ProofMode.ZK)) {
    const sdk = client(0);
    const t0 = performance.now();
    const { requestId, inputHash } = await sdk.requestOnChain({
      modelId: iris,
      inputs: irisInput(IRIS_SAMPLES[2]![1]),
      mode: ProofMode.ZK,
    });
    const delivery = await settleByProof(
      sdk,
      requestId,
      devnet.execs.map((e) => e.httpUrl),
    );
    rows.push({
      via: "SDK (on chain)",
      mode: "ZK",
      model: "iris-mlp",
      requestId,
      resultHash: resultHash({
        requestId,
        modelId: iris,
        inputHash,
        outputHash: delivery.outputHash,
        executor: delivery.executor,
      }),
      proofChecked: true,
      checkedBy: "Groth16 on chain",
      batchId: 0n,
      settlementTx: delivery.txHash,
      delivered: `settleWithProof, ${delivery.gasUsed} gas`,
      msToSettled: performance.now() - t0,
    });
    log(`demo: iris-mlp in ZK settled on chain by its proof (${delivery.gasUsed} gas)`);
  }
  return rows;
}

/**
 * `settleWithProof` with the first executor that has the result: the executors pick the request up
 * from the chain and prove it, so their answer is a 404 until then.
 */
async function settleByProof(sdk: OpgClient, requestId: Hex, execUrls: readonly string[]): Promise<Delivery> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    for (const execUrl of execUrls) {
      try {
        return await sdk.settleWithProof(requestId, { execUrl });
      } catch (error) {
        const notYet = error instanceof OpgSdkError && error.code === "EXECUTOR_ERROR";
        if (!notYet || Date.now() > deadline) throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function demoTable(rows: readonly DemoRow[]): string {
  return formatTable(
    [
      "via",
      "mode",
      "model",
      "request",
      "result hash",
      "checked",
      "batch",
      "settlement tx",
      "delivered",
      "request→settled",
    ],
    rows.map((r) => [
      r.via,
      r.mode,
      r.model,
      short(r.requestId),
      short(r.resultHash),
      r.proofChecked ? `yes (${r.checkedBy ?? "on-chain root"})` : "NO",
      r.batchId === 0n ? "–" : r.batchId.toString(),
      short(r.settlementTx ?? undefined),
      r.delivered,
      `${(r.msToSettled / 1000).toFixed(2)} s`,
    ]),
  );
}
