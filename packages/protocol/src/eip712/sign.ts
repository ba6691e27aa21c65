import type { Address, Hex } from "viem";
import {
  batchRootDigest,
  enclaveRegistrationDigest,
  executionResultDigest,
  inferenceRequestDigest,
} from "./digest.js";
import { recoverDigestSigner, signDigest } from "./signature.js";
import type {
  BatchRoot,
  EnclaveRegistration,
  ExecutionResult,
  InferenceRequest,
  OpgDomain,
} from "./types.js";

/** Signs a direct request as its requester; returns the signature and the `requestId`. */
export function signInferenceRequest(
  privateKey: Hex,
  domain: OpgDomain,
  request: InferenceRequest,
): { requestId: Hex; signature: Hex } {
  const requestId = inferenceRequestDigest(domain, request);
  return { requestId, signature: signDigest(privateKey, requestId) };
}

export function recoverInferenceRequestSigner(
  domain: OpgDomain,
  request: InferenceRequest,
  signature: Hex,
): Address {
  return recoverDigestSigner(inferenceRequestDigest(domain, request), signature);
}

export function signExecutionResult(privateKey: Hex, domain: OpgDomain, result: ExecutionResult): Hex {
  return signDigest(privateKey, executionResultDigest(domain, result));
}

export function recoverExecutionResultSigner(
  domain: OpgDomain,
  result: ExecutionResult,
  signature: Hex,
): Address {
  return recoverDigestSigner(executionResultDigest(domain, result), signature);
}

export function signBatchRoot(privateKey: Hex, domain: OpgDomain, batch: BatchRoot): Hex {
  return signDigest(privateKey, batchRootDigest(domain, batch));
}

export function recoverBatchRootSigner(domain: OpgDomain, batch: BatchRoot, signature: Hex): Address {
  return recoverDigestSigner(batchRootDigest(domain, batch), signature);
}

export function signEnclaveRegistration(
  privateKey: Hex,
  domain: OpgDomain,
  registration: EnclaveRegistration,
): Hex {
  return signDigest(privateKey, enclaveRegistrationDigest(domain, registration));
}

export function recoverEnclaveRegistrationSigner(
  domain: OpgDomain,
  registration: EnclaveRegistration,
  signature: Hex,
): Address {
  return recoverDigestSigner(enclaveRegistrationDigest(domain, registration), signature);
}
