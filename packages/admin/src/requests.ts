import { OpgError } from "@opg/protocol";
import { eth } from "@opg/runtime";
import { createOpgClient, type TensorInput } from "@opg/sdk";
import { type Address, createPublicClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBalance, sendTransaction, waitForTransactionReceipt } from "viem/actions";
import { type AdminTarget, chainIdAt, connect } from "./network.js";

/** Sends `amount` wei from `privateKey` to `to` and waits for the receipt. */
export async function fund(rpcUrl: string, privateKey: Hex, to: Address, amount: bigint) {
  await chainIdAt(rpcUrl);
  const account = privateKeyToAccount(privateKey);
  const transport = http(rpcUrl);
  const client = createPublicClient({ transport, pollingInterval: 250 });
  const balance = await getBalance(client, { address: account.address });
  if (balance < amount)
    throw new OpgError(
      "INSUFFICIENT_FUNDS",
      `${account.address} holds ${eth(balance)}, less than the ${eth(amount)} to send: fund it first.`,
    );
  const hash = await sendTransaction(createWalletClient({ account, transport }), {
    to,
    value: amount,
    chain: null,
  });
  await waitForTransactionReceipt(client, { hash });
  return { to, sent: eth(amount), balance: eth(await getBalance(client, { address: to })), tx: hash };
}

/**
 * One request end to end, as a dApp would send it: signed by the owner key, answered by the
 * executor, settled by the verifiers, and checked against the root on chain (not the verifier's word).
 */
export async function sendTestRequest(
  target: AdminTarget,
  params: {
    modelId: Hex;
    inputs: unknown;
    execUrl: string;
    verifyUrl: string;
    mode: string;
    timeoutMs: number;
  },
) {
  const net = await connect(target);
  net.stop();
  const opg = createOpgClient({
    rpcUrl: target.rpcUrl,
    hub: net.deployment.inferenceHub,
    execUrl: params.execUrl,
    verifyUrl: params.verifyUrl,
    account: target.privateKey,
  });
  const begin = performance.now();
  const result = await opg.requestDirect({
    modelId: params.modelId,
    inputs: params.inputs as TensorInput,
    mode: params.mode.toUpperCase() as "NONE" | "ZK" | "TEE",
  });
  const settled = await opg.waitForSettlement(result.requestId, { timeoutMs: params.timeoutMs });
  const seconds = (performance.now() - begin) / 1000;
  const check = await opg.verifyResult(result.requestId);
  return {
    requestId: result.requestId,
    executor: result.executor,
    outputs: Object.fromEntries(
      Object.entries(result.outputs).map(([name, t]) => [
        name,
        { dims: t.dims, data: Array.from(t.data as ArrayLike<number>) },
      ]),
    ),
    status: settled.status,
    batchId: settled.batchId,
    settlementTx: settled.settlementTx,
    verifiedOnChain: check.verified,
    settledAfterSeconds: Number(seconds.toFixed(2)),
  };
}
