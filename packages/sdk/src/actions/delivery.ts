import { inferenceHubAbi, type TxResult } from "@opg/chain";
import { type Hex, parseEventLogs } from "viem";
import type { Delivery } from "../client/types.js";

/** A mined `deliver` / `settleWithProof` transaction as a Delivery (its `ResultDelivered` event). */
export function delivery(
  requestId: Hex,
  tx: TxResult,
  result: Pick<Delivery, "batchId" | "executor" | "outputHash" | "outputs">,
): Delivery {
  const [event] = parseEventLogs({
    abi: inferenceHubAbi,
    eventName: "ResultDelivered",
    logs: tx.receipt.logs,
  });
  return {
    requestId,
    txHash: tx.hash,
    blockNumber: tx.receipt.blockNumber,
    callbackSuccess: event?.args.callbackSuccess ?? false,
    batchId: result.batchId,
    executor: result.executor,
    outputHash: result.outputHash,
    outputs: result.outputs,
    gasUsed: tx.receipt.gasUsed,
  };
}
