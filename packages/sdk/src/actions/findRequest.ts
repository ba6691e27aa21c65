import { type InferenceRequestedEvent, inferenceHubAbi, toInferenceRequestedEvent } from "@opg/chain";
import type { Hex } from "viem";
import { getContractEvents } from "viem/actions";
import { checkHex32 } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { DeliverOptions } from "../client/types.js";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";

/** The `InferenceRequested` event of an on-chain request (the record `deliver` and `refund` need). */
export async function findRequest(
  ctx: ClientContext,
  requestId: Hex,
  options: Pick<DeliverOptions, "fromBlock"> = {},
): Promise<InferenceRequestedEvent> {
  const id = checkHex32(requestId, "requestId");
  const logs = await onChain("Searching for the request", () =>
    getContractEvents(ctx.publicClient, {
      address: ctx.hub,
      abi: inferenceHubAbi,
      eventName: "InferenceRequested",
      args: { requestId: id },
      fromBlock: options.fromBlock ?? 0n,
      toBlock: "latest",
      strict: true,
    }),
  );
  const log = logs.find((l) => l.args.requestId.toLowerCase() === id);
  if (!log) {
    throw new OpgSdkError("NOT_FOUND", `No InferenceRequested event for ${id} on this hub.`, {
      details: "Is it a direct request (no event), or does `fromBlock` start after it?",
      meta: { requestId: id },
    });
  }
  return toInferenceRequestedEvent(log);
}
