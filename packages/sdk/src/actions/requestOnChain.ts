import { ProofMode } from "@opg/protocol";
import { type Hex, isAddress, zeroAddress } from "viem";
import { getGasPrice } from "viem/actions";
import { checkHex32, refuseUnbindableZkInputs, toMode } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { OnChainRequest, OnChainRequestParams } from "../client/types.js";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { encodeTensorInput } from "../tensors/tensorInput.js";

/** Largest inline input the hub accepts (`MAX_INLINE_INPUT_BYTES`). */
export const MAX_INLINE_INPUT_BYTES = 8192;
const DEFAULT_CALLBACK_GAS_LIMIT = 200_000;
const DEFAULT_TTL_SECONDS = 3_600;

/**
 * Requests inference through the hub (`requestInference` with the inputs inline in canonical encoding,
 * or `requestInferenceByRef` when `inputURI` is given), paying `fee` (default: the model's price).
 */
export async function requestOnChain(
  ctx: ClientContext,
  params: OnChainRequestParams,
): Promise<OnChainRequest> {
  const mode = toMode(params.mode);
  const encoded = encodeTensorInput(params.inputs);
  if (mode === ProofMode.ZK) refuseUnbindableZkInputs(encoded.tensors);
  const listingId = await resolveListing(ctx, params);
  const terms = await onChain("Reading the listing", async () =>
    (await ctx.models()).requestTerms(listingId),
  );
  if (terms.modes === 0) {
    throw new OpgSdkError("INVALID_ARGUMENT", `Listing ${listingId} is unknown or disabled.`);
  }
  const modelId = terms.modelId;
  if (params.modelId !== undefined && checkHex32(params.modelId, "modelId") !== modelId.toLowerCase()) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      `Listing ${listingId} lists model ${modelId}, not ${params.modelId}.`,
    );
  }
  if (params.inputURI === undefined && encoded.bytes.length > MAX_INLINE_INPUT_BYTES) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      `The encoded inputs are ${encoded.bytes.length} bytes; the hub takes at most ${MAX_INLINE_INPUT_BYTES} inline.`,
      { details: "Host the encoded inputs and pass `inputURI` (requestInferenceByRef)." },
    );
  }
  if (params.callback !== undefined && !isAddress(params.callback, { strict: false })) {
    throw new OpgSdkError("INVALID_ARGUMENT", "callback must be an address.");
  }
  const callback = params.callback ?? zeroAddress;
  const callbackGasLimit =
    params.callbackGasLimit ?? (callback === zeroAddress ? 0 : DEFAULT_CALLBACK_GAS_LIMIT);
  // The callback's gas is escrowed at a price bound: by default twice the chain's current gas price,
  // so a deliverer is made whole through a doubling of fees; what the callback does not use comes back.
  const callbackGasPrice =
    params.callbackGasPrice ??
    (callbackGasLimit === 0
      ? 0n
      : 2n * (await onChain("Reading the gas price", () => getGasPrice(ctx.publicClient))));
  const hub = await ctx.hubWriter();
  const deadline =
    params.deadline !== undefined
      ? BigInt(params.deadline)
      : (await ctx.latestTimestamp()) + BigInt(params.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  const fee = params.fee ?? terms.price;
  const base = { listingId, mode, deadline, fee, callback, callbackGasLimit, callbackGasPrice };
  const result = await onChain("requestInference", () =>
    hub.requestInference(
      params.inputURI === undefined
        ? { ...base, input: encoded.hex }
        : { ...base, inputHash: encoded.hash, inputURI: params.inputURI },
    ),
  );
  ctx.remember(result.requestId, { modelId, inputHash: encoded.hash, record: result.request });
  return {
    requestId: result.requestId,
    request: result.request,
    txHash: result.tx.hash,
    blockNumber: result.event.blockNumber,
    inputHash: encoded.hash,
    input: encoded.hex,
  };
}

/** The listing a request names, or the pinned publisher's latest listing of its model. */
async function resolveListing(ctx: ClientContext, params: OnChainRequestParams): Promise<Hex> {
  if (params.listingId !== undefined) return checkHex32(params.listingId, "listingId");
  if (params.modelId === undefined) {
    throw new OpgSdkError("INVALID_ARGUMENT", "Name the listing (`listingId`) or the model (`modelId`).");
  }
  const modelId = checkHex32(params.modelId, "modelId");
  const publisher = params.publisher ?? ctx.o.publisher;
  if (publisher === undefined || !isAddress(publisher, { strict: false })) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      "A request by modelId needs the publisher whose listing it trusts (`publisher`), or a `listingId`.",
      {
        details:
          "Anyone can list a model file; the publisher you pin decides which verifier and price apply.",
      },
    );
  }
  const listingId = await onChain("Resolving the publisher's listing", async () =>
    (await ctx.models()).latestListing(modelId, publisher),
  );
  if (listingId === undefined) {
    throw new OpgSdkError("INVALID_ARGUMENT", `Publisher ${publisher} has no listing of model ${modelId}.`);
  }
  return listingId;
}
