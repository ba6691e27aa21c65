import type { RequestStatusName } from "@opg/chain";
import type { Hex } from "viem";
import { checkHex32 } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import { onChain } from "../errors/fromChainError.js";

/** The hub's status of an on-chain request: none, pending, delivered or refunded. */
export function requestStatus(ctx: ClientContext, requestId: Hex): Promise<RequestStatusName> {
  return onChain("Reading the request status", () =>
    ctx.reader.requestStatus(checkHex32(requestId, "requestId")),
  );
}
