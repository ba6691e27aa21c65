import type { Address, Hex, TypedDataDomain } from "viem";
import type { ProofMode } from "../mode.js";

export const EIP712_NAME = "opg";
export const EIP712_VERSION = "1";

/** The EIP-712 typed-data definitions; the contracts declare the same type strings. */
export const EIP712_TYPES = {
  InferenceRequest: [
    { name: "requester", type: "address" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "mode", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ExecutionResult: [
    { name: "requestId", type: "bytes32" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "mode", type: "uint8" },
  ],
  BatchRoot: [
    { name: "configDigest", type: "bytes32" },
    { name: "batchId", type: "uint64" },
    { name: "root", type: "bytes32" },
    { name: "count", type: "uint32" },
  ],
  EnclaveRegistration: [
    { name: "enclave", type: "address" },
    { name: "measurement", type: "bytes32" },
    { name: "expiresAt", type: "uint64" },
    { name: "configDigest", type: "bytes32" },
  ],
} as const;

export type PrimaryType = keyof typeof EIP712_TYPES;

/** A direct inference request, signed by its requester. Its digest is the `requestId`. */
export type InferenceRequest = {
  requester: Address;
  modelId: Hex;
  inputHash: Hex;
  mode: ProofMode;
  nonce: bigint;
  /** Unix seconds after which executors must not serve it. */
  deadline: bigint;
};

/** What an executor signs for each result. */
export type ExecutionResult = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  mode: ProofMode;
};

/** What a verifier signs for each batch. */
export type BatchRoot = {
  configDigest: Hex;
  batchId: bigint;
  root: Hex;
  count: number;
};

/**
 * What verifiers sign once they have verified an attestation document vouching for an enclave
 * key: the key's address, its enclave image measurement (`keccak256(PCR0 ‖ PCR1 ‖ PCR2)`) and
 * its expiry; `configDigest` names the verifier set, so signatures die with it. f + 1 of them
 * register the key in the EnclaveRegistry.
 */
export type EnclaveRegistration = {
  enclave: Address;
  measurement: Hex;
  /** Unix seconds. */
  expiresAt: bigint;
  configDigest: Hex;
};

/** The opg domain: bound to one chain and one InferenceHub. */
export type OpgDomain = { chainId: number; verifyingContract: Address };

export function toTypedDataDomain(domain: OpgDomain): TypedDataDomain {
  return {
    name: EIP712_NAME,
    version: EIP712_VERSION,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}
