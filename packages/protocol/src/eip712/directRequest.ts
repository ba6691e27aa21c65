import { type Address, type Hex, isAddressEqual } from "viem";
import { OpgError } from "../errors.js";
import { inferenceRequestDigest } from "./digest.js";
import { SignatureError } from "./SignatureError.js";
import { recoverDigestSigner } from "./signature.js";
import type { InferenceRequest, OpgDomain } from "./types.js";

export type DirectRequestErrorCode =
  /** The claimed `requestId` is not the digest of the signed request. */
  | "REQUEST_ID_MISMATCH"
  /** The signature is malformed or malleable (see `SignatureError`, the cause). */
  | "BAD_SIGNATURE"
  /** The signature is valid but not the requester's. */
  | "WRONG_SIGNER"
  /** The request's deadline (plus grace) has passed. */
  | "EXPIRED";

/** Why a direct request is not authentic (or no longer valid); each caller maps it to its own answer. */
export class DirectRequestError extends OpgError<DirectRequestErrorCode> {
  override name = "DirectRequestError";
}

export type AuthenticateDirectRequestOptions = {
  /** The `requestId` the request came with; must be its digest when given. */
  requestId?: Hex | undefined;
  /** Now, unix seconds: checks the deadline when given (the executor checks it elsewhere). */
  nowSeconds?: bigint | undefined;
  /** Seconds accepted past the deadline (clock skew; default 0). */
  graceSeconds?: number | undefined;
};

/**
 * Authenticates a direct request (EIP-712 `InferenceRequest` signed by its requester): the
 * `requestId` is the digest of what was signed, the signature is canonical and recovers to
 * `request.requester`, and (when `nowSeconds` is given) the deadline has not passed. Returns the
 * `requestId`; throws `DirectRequestError` otherwise. Synchronous (the verifier's hot path runs it
 * without a promise). The one check of the executor's `/v1/infer`, the verifier's result
 * validation and the SDK's signing.
 */
export function authenticateDirectRequest(
  domain: OpgDomain,
  request: InferenceRequest,
  signature: Hex,
  options: AuthenticateDirectRequestOptions = {},
): Hex {
  const digest = inferenceRequestDigest(domain, request);
  if (options.requestId !== undefined && options.requestId !== digest) {
    throw new DirectRequestError("REQUEST_ID_MISMATCH", "requestId is not the digest of the signed request.");
  }
  let signer: Address;
  try {
    signer = recoverDigestSigner(digest, signature);
  } catch (cause) {
    const reason = cause instanceof SignatureError ? cause.shortMessage : "invalid signature";
    throw new DirectRequestError("BAD_SIGNATURE", `The request signature is invalid: ${reason}`, { cause });
  }
  if (!isAddressEqual(signer, request.requester)) {
    throw new DirectRequestError("WRONG_SIGNER", "The request is not signed by its requester.", {
      meta: { requester: request.requester, recovered: signer },
    });
  }
  if (
    options.nowSeconds !== undefined &&
    request.deadline + BigInt(options.graceSeconds ?? 0) < options.nowSeconds
  ) {
    throw new DirectRequestError("EXPIRED", "The request's deadline has passed.");
  }
  return digest;
}
