import type { Hex } from "viem";
import { checkHex32 } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { DeliverOptions, Delivery } from "../client/types.js";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { delivery } from "./delivery.js";
import { findRequest } from "./findRequest.js";
import { verifyResult } from "./verifyResult.js";

/**
 * Delivers a settled on-chain request (`hub.deliver`): takes the outputs, executor, batch and proof from
 * the verifiers, checks them against the chain first (`verifyResult`; `PROOF_INVALID` otherwise), and
 * sends the transaction with the request record (remembered, given, or read from `InferenceRequested`).
 * The hub pays the executor and calls the request's callback.
 */
export async function deliver(
  ctx: ClientContext,
  requestId: Hex,
  options: DeliverOptions = {},
): Promise<Delivery> {
  const id = checkHex32(requestId, "requestId");
  const hub = await ctx.hubWriter();
  const record = options.request ?? ctx.recall(id)?.record ?? (await findRequest(ctx, id, options)).request;
  const verification = await verifyResult(ctx, id, {
    expected: { modelId: record.modelId, inputHash: record.inputHash },
    signal: options.signal,
  });
  if (!verification.verified) {
    throw new OpgSdkError("PROOF_INVALID", `Not delivering ${id}: ${verification.failure.message}`, {
      meta: { failure: verification.failure.code, verifier: verification.verifier },
    });
  }
  const tx = await onChain("deliver", () =>
    hub.deliver({
      requestId: id,
      request: record,
      output: verification.outputBytes,
      executor: verification.executor,
      batchId: verification.batchId,
      proof: verification.proof,
    }),
  );
  return delivery(id, tx, verification);
}
