import {
  authenticateDirectRequest,
  DirectRequestError,
  EIP712_TYPES,
  type InferenceRequest,
  inferenceRequestDigest,
  type OpgDomain,
  SignatureError,
  toTypedDataDomain,
} from "@opg/protocol";
import { type Hex, isAddressEqual, type LocalAccount } from "viem";
import { OpgSdkError } from "../errors/OpgSdkError.js";

/**
 * Signs a direct request as its requester (EIP-712 `InferenceRequest` in the hub's domain) with any viem
 * LocalAccount. Returns the `requestId` (the digest, computed by `@opg/protocol`) and the 65-byte
 * `r ‖ s ‖ v` signature (v normalised to 27/28), checked to recover to `request.requester` under the
 * protocol's rules (low s) before it leaves this machine.
 */
export async function signDirectRequest(
  account: LocalAccount,
  domain: OpgDomain,
  request: InferenceRequest,
): Promise<{ requestId: Hex; signature: Hex }> {
  if (!isAddressEqual(account.address, request.requester)) {
    throw new OpgSdkError("INVALID_ARGUMENT", "The requester must be the signing account.", {
      meta: { account: account.address, requester: request.requester },
    });
  }
  const requestId = inferenceRequestDigest(domain, request);
  let signature = await account.signTypedData({
    domain: toTypedDataDomain(domain),
    types: { InferenceRequest: EIP712_TYPES.InferenceRequest },
    primaryType: "InferenceRequest",
    message: request,
  });
  // Some signers encode v as 0/1 (y parity); the protocol wants 27/28.
  if (signature.length === 132) {
    const v = Number.parseInt(signature.slice(130), 16);
    if (v === 0 || v === 1) signature = `${signature.slice(0, 130)}${(v + 27).toString(16)}` as Hex;
  }
  try {
    authenticateDirectRequest(domain, request, signature, { requestId });
  } catch (cause) {
    if (!(cause instanceof DirectRequestError)) throw cause;
    if (cause.code === "WRONG_SIGNER") {
      throw new OpgSdkError("BAD_SIGNATURE", "The account's signature does not recover to the requester.");
    }
    const reason = cause.cause instanceof SignatureError ? cause.cause.shortMessage : cause.shortMessage;
    throw new OpgSdkError("BAD_SIGNATURE", `The account produced an invalid signature: ${reason}`, {
      cause: cause.cause,
    });
  }
  return { requestId, signature };
}
