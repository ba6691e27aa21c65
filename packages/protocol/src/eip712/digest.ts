import { concat, encodeAbiParameters, type Hex, hashDomain, keccak256, toHex } from "viem";
import {
  type BatchRoot,
  EIP712_NAME,
  EIP712_TYPES,
  EIP712_VERSION,
  type EnclaveRegistration,
  type ExecutionResult,
  type InferenceRequest,
  type OpgDomain,
  type PrimaryType,
} from "./types.js";

/**
 * EIP-712 digests computed directly (type hashes and domain separators cached), equal to viem's
 * `hashTypedData` (checked by the test vectors) but cheap enough for the verifier's hot path.
 */

function typeString(primary: PrimaryType): string {
  return `${primary}(${EIP712_TYPES[primary].map((f) => `${f.type} ${f.name}`).join(",")})`;
}

export const TYPE_HASHES: Record<PrimaryType, Hex> = {
  InferenceRequest: keccak256(toHex(typeString("InferenceRequest"))),
  ExecutionResult: keccak256(toHex(typeString("ExecutionResult"))),
  BatchRoot: keccak256(toHex(typeString("BatchRoot"))),
  EnclaveRegistration: keccak256(toHex(typeString("EnclaveRegistration"))),
};

export const TYPE_STRINGS: Record<PrimaryType, string> = {
  InferenceRequest: typeString("InferenceRequest"),
  ExecutionResult: typeString("ExecutionResult"),
  BatchRoot: typeString("BatchRoot"),
  EnclaveRegistration: typeString("EnclaveRegistration"),
};

const separators = new Map<string, Hex>();

/** The domain separator of an opg domain (cached per chain and hub). */
export function domainSeparator(domain: OpgDomain): Hex {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let sep = separators.get(key);
  if (!sep) {
    sep = hashDomain({
      domain: {
        name: EIP712_NAME,
        version: EIP712_VERSION,
        chainId: BigInt(domain.chainId),
        verifyingContract: domain.verifyingContract,
      },
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
      },
    });
    separators.set(key, sep);
  }
  return sep;
}

function structHash(primary: PrimaryType, values: readonly unknown[]): Hex {
  const params = [{ type: "bytes32" }, ...EIP712_TYPES[primary].map((f) => ({ type: f.type }))];
  return keccak256(encodeAbiParameters(params, [TYPE_HASHES[primary], ...values]));
}

export function inferenceRequestStructHash(r: InferenceRequest): Hex {
  return structHash("InferenceRequest", [r.requester, r.modelId, r.inputHash, r.mode, r.nonce, r.deadline]);
}

export function executionResultStructHash(r: ExecutionResult): Hex {
  return structHash("ExecutionResult", [r.requestId, r.modelId, r.inputHash, r.outputHash, r.mode]);
}

export function batchRootStructHash(b: BatchRoot): Hex {
  return structHash("BatchRoot", [b.configDigest, b.batchId, b.root, b.count]);
}

export function enclaveRegistrationStructHash(r: EnclaveRegistration): Hex {
  return structHash("EnclaveRegistration", [r.enclave, r.measurement, r.expiresAt, r.configDigest]);
}

function digest(domain: OpgDomain, struct: Hex): Hex {
  return keccak256(concat(["0x1901", domainSeparator(domain), struct]));
}

/** The EIP-712 digest of a direct request; it is the request's `requestId`. */
export function inferenceRequestDigest(domain: OpgDomain, r: InferenceRequest): Hex {
  return digest(domain, inferenceRequestStructHash(r));
}

/** Alias that says what the digest is used as. */
export const directRequestId = inferenceRequestDigest;

export function executionResultDigest(domain: OpgDomain, r: ExecutionResult): Hex {
  return digest(domain, executionResultStructHash(r));
}

export function batchRootDigest(domain: OpgDomain, b: BatchRoot): Hex {
  return digest(domain, batchRootStructHash(b));
}

/** The EIP-712 digest verifiers sign to register an enclave key (EnclaveRegistry, in the hub's domain). */
export function enclaveRegistrationDigest(domain: OpgDomain, r: EnclaveRegistration): Hex {
  return digest(domain, enclaveRegistrationStructHash(r));
}
