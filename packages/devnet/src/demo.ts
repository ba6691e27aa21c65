import { inferenceHubAbi } from "@opg/chain";
import { exampleClassifierConsumerAbi, exampleClassifierConsumerBytecode, listingIdOf } from "@opg/contracts";
import { encodeTensors, ProofMode, proofModeName, resultHash, type TensorMap } from "@opg/protocol";
import { createOpgClient, type Delivery, type OpgClient, OpgSdkError } from "@opg/sdk";
import {
  type Address,
  bytesToHex,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEventLogs,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { DevnetModel } from "./Devnet.js";
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
  /** Who sent the delivery transaction (`exec-<i> <address>`, the SDK), or `SDK` for direct answers. */
  deliveredBy: string;
  msToSettled: number;
};

/**
 * What the demo needs of a running devnet, from the outside: the native one (`Devnet.demoNetwork`)
 * and the compose one (`ComposeDevnet.demoNetwork`, through the published ports) alike.
 */
export type DemoNetwork = {
  /** The chain's JSON-RPC. */
  rpcUrl: string;
  /** The InferenceHub. */
  hub: Hex;
  /** A funded dev account that sends the requests. */
  requesterKey: Hex;
  /** The publisher whose listings the demo requests (the devnet's deployer lists every model). */
  publisher: Address;
  /** Every executor's and every verifier's HTTP API. */
  execUrls: readonly string[];
  verifyUrls: readonly string[];
  /** The registered models (names, modes, demo inputs) and their model ids. */
  models: readonly DevnetModel[];
  modelIds: ReadonlyMap<string, Hex>;
  publicClient: PublicClient;
  /**
   * The executors deliver their settled on-chain results themselves (`delivery.verifierUrls` set;
   * ZK by their proof): the demo waits for their `ResultDelivered` instead of delivering with the SDK.
   * `executors` names them in the table (signing addresses, in `execUrls` order).
   */
  executorsDeliver?: { executors: readonly Address[]; fromBlock: bigint } | undefined;
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
 *    verifiers settle the result, the executor delivers it by itself (the SDK where executors do not
 *    deliver) and the contract's callback stores the class;
 * 2. an SDK client sends a signed direct request to an executor for every other model and mode;
 * 3. every result is checked against the on-chain root by the SDK, independently of verifiers;
 * 4. the trustless path: an on-chain ZK request settled by the executor's proof (by the executor)
 *    (`settleWithProof`: the hub's ZK adapter checks the Groth16 proof), with no quorum or batch.
 */
export async function runDemo(network: DemoNetwork, log: (line: string) => void): Promise<DemoRow[]> {
  const key = network.requesterKey;
  const publicClient = network.publicClient;
  const rows: DemoRow[] = [];
  const client = (execIndex: number) =>
    createOpgClient({
      rpcUrl: network.rpcUrl,
      hub: network.hub,
      execUrl: network.execUrls[execIndex % network.execUrls.length]!,
      verifyUrl: [...network.verifyUrls],
      account: key,
      // The devnet deployer publishes every listing; requests by modelId go to its listings.
      publisher: network.publisher,
    });

  // 1. The example dApp, on chain.
  const iris = network.modelIds.get("iris-mlp");
  if (iris) {
    const wallet = createWalletClient({
      account: privateKeyToAccount(key),
      chain: hardhat,
      transport: http(network.rpcUrl),
    });
    const deployHash = await wallet.deployContract({
      abi: exampleClassifierConsumerAbi,
      bytecode: exampleClassifierConsumerBytecode,
      args: [
        network.hub,
        listingIdOf(iris, network.publisher),
        ProofMode.NONE,
        "logits",
        ["setosa", "versicolor", "virginica"],
        300_000,
      ],
    });
    const dapp = (await publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;
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
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const [requested] = parseEventLogs({
        abi: exampleClassifierConsumerAbi,
        eventName: "ClassificationRequested",
        logs: receipt.logs,
      });
      const requestId = requested!.args.requestId;
      const settled = await sdk.waitForSettlement(requestId, { timeoutMs: 120_000 });
      const msToSettled = performance.now() - t0;
      const verification = await sdk.verifyResult(requestId);
      const delivery = network.executorsDeliver
        ? await waitForDelivery(network, requestId)
        : { ...(await sdk.deliver(requestId)), by: "SDK" };
      const label = await publicClient.readContract({
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
        deliveredBy: delivery.by,
        msToSettled,
      });
    }
  }

  // 2. Direct requests through the SDK, every other registered model and mode.
  let n = 0;
  for (const model of network.models) {
    for (const mode of model.modes) {
      const modelId = network.modelIds.get(model.name)!;
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
        deliveredBy: "SDK",
        msToSettled,
      });
      log(`demo: ${model.name} in ${proofModeName(mode)} settled in batch ${settled.batchId}`);
    }
  }
  // 3. The trustless path: an on-chain ZK request settled by its proof alone, without the quorum.
  const irisModel = network.models.find((m) => m.name === "iris-mlp");
  if (iris && irisModel?.modes.includes(ProofMode.ZK)) {
    const sdk = client(0);
    const t0 = performance.now();
    const { requestId, inputHash } = await sdk.requestOnChain({
      modelId: iris,
      inputs: irisInput(IRIS_SAMPLES[2]![1]),
      mode: ProofMode.ZK,
    });
    const delivery = network.executorsDeliver
      ? await waitForDelivery(network, requestId)
      : { ...(await settleByProof(sdk, requestId, network.execUrls)), by: "SDK" };
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
      deliveredBy: delivery.by,
      msToSettled: performance.now() - t0,
    });
    log(`demo: iris-mlp in ZK settled on chain by its proof (${delivery.gasUsed} gas)`);
  }
  // 4. Opt-in ZK models (e.g. `--mnist-zk`): one on-chain request each, settled by its proof.
  for (const model of network.models) {
    const modelId = network.modelIds.get(model.name);
    if (!model.zkOnChainDemo || !modelId || !model.modes.includes(ProofMode.ZK)) continue;
    rows.push(await zkOnChainRow(network, client(0), model.name, modelId, model.zkOnChainDemo, log));
  }
  return rows;
}

/** An on-chain ZK request for `name`, settled by the executor's proof (`settleWithProof`), with the proven class. */
async function zkOnChainRow(
  network: DemoNetwork,
  sdk: OpgClient,
  name: string,
  modelId: Hex,
  demo: NonNullable<DevnetModel["zkOnChainDemo"]>,
  log: (line: string) => void,
): Promise<DemoRow> {
  const t0 = performance.now();
  const { requestId, inputHash } = await sdk.requestOnChain({
    modelId,
    inputs: demo.inputs(),
    mode: ProofMode.ZK,
  });
  const delivery = network.executorsDeliver
    ? await waitForDelivery(network, requestId, 600_000)
    : { ...(await settleByProof(sdk, requestId, network.execUrls)), by: "SDK" };
  const msToSettled = performance.now() - t0;
  // The class the proof speaks about: the argmax of the proven (fixed-point) output, as the verifiers hold it.
  let proven = "?";
  try {
    const result = await sdk.waitForResult(requestId, { timeoutMs: 60_000 });
    const [out] = Object.values(result.outputs);
    if (out) {
      const v = Array.from(out.data as ArrayLike<number | bigint>, Number);
      proven = String(v.indexOf(Math.max(...v)));
    }
  } catch {
    // The row still stands on the on-chain settlement; only the class label is missing.
  }
  log(
    `demo: ${name} in ZK classified a digit as ${proven} (expected ${demo.expected}), settled on chain by its proof (${delivery.gasUsed} gas)`,
  );
  return {
    via: "SDK (on chain)",
    mode: "ZK",
    model: name,
    requestId,
    resultHash: resultHash({
      requestId,
      modelId,
      inputHash,
      outputHash: delivery.outputHash,
      executor: delivery.executor,
    }),
    proofChecked: true,
    checkedBy: "Groth16 on chain",
    batchId: 0n,
    settlementTx: delivery.txHash,
    delivered: `settleWithProof, ${delivery.gasUsed} gas, class ${proven} (expected ${demo.expected})`,
    deliveredBy: delivery.by,
    msToSettled,
  };
}

/** Waits for the hub's `ResultDelivered` event of `requestId` (the executors deliver by themselves). */
async function waitForDelivery(
  network: DemoNetwork,
  requestId: Hex,
  timeoutMs = 120_000,
): Promise<{
  executor: Address;
  outputHash: Hex;
  callbackSuccess: boolean;
  txHash: Hex;
  gasUsed: bigint;
  by: string;
}> {
  const client = network.publicClient;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [event] = await client.getContractEvents({
      address: network.hub,
      abi: inferenceHubAbi,
      eventName: "ResultDelivered",
      args: { requestId },
      fromBlock: network.executorsDeliver?.fromBlock ?? 0n,
      strict: true,
    });
    if (event) {
      const tx = await client.getTransaction({ hash: event.transactionHash });
      const receipt = await client.getTransactionReceipt({ hash: event.transactionHash });
      const i = (network.executorsDeliver?.executors ?? []).findIndex(
        (a) => a.toLowerCase() === tx.from.toLowerCase(),
      );
      return {
        executor: event.args.executor,
        outputHash: event.args.outputHash,
        callbackSuccess: event.args.callbackSuccess,
        txHash: event.transactionHash,
        gasUsed: receipt.gasUsed,
        by: i < 0 ? short(tx.from, 4) : `exec-${i} ${short(tx.from, 4)}`,
      };
    }
    if (Date.now() > deadline)
      throw new Error(`Request ${requestId} was not delivered within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
      "delivered by",
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
      r.deliveredBy,
      `${(r.msToSettled / 1000).toFixed(2)} s`,
    ]),
  );
}
