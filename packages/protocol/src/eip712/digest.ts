import { type Hex, hashDomain, hexToBytes, keccak256, toHex } from "viem";
import { keccak256Bytes } from "../hash/keccak.js";
import { writeHex } from "../hex/writeHex.js";
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

const TYPE_HASH_BYTES: Record<PrimaryType, Uint8Array> = {
  InferenceRequest: hexToBytes(TYPE_HASHES.InferenceRequest),
  ExecutionResult: hexToBytes(TYPE_HASHES.ExecutionResult),
  BatchRoot: hexToBytes(TYPE_HASHES.BatchRoot),
  EnclaveRegistration: hexToBytes(TYPE_HASHES.EnclaveRegistration),
};

/** Writes `hex` (exactly `size` bytes) right-aligned in the 32-byte word at `offset`. */
function putHex(out: Uint8Array, offset: number, value: unknown, size: number, type: string): void {
  if (!writeHex(out, offset + 32 - size, value, size)) {
    throw new TypeError(`EIP-712: ${String(value)} is not a ${type}`);
  }
}

/** Writes an unsigned integer of `bits` bits as a 32-byte big-endian word at `offset`. */
function putUint(out: Uint8Array, offset: number, value: unknown, bits: number, type: string): void {
  if (typeof value !== "bigint" && !(typeof value === "number" && Number.isSafeInteger(value))) {
    throw new TypeError(`EIP-712: ${String(value)} is not a ${type}`);
  }
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(bits)) throw new RangeError(`EIP-712: ${v} is out of range for ${type}`);
  for (let i = offset + 31; v > 0n; i--, v >>= 8n) out[i] = Number(v & 0xffn);
}

/**
 * keccak256(typeHash ‖ fields), every field a static type (bytes32, address, uintN) packed as its
 * 32-byte ABI word directly: the same bytes as `encodeAbiParameters`, hashed by the keccak backend
 * (native in Node), at a fraction of the cost on the executor's and verifier's hot paths.
 */
function structHash(primary: PrimaryType, values: readonly unknown[]): Hex {
  const fields = EIP712_TYPES[primary];
  const out = new Uint8Array(32 * (1 + fields.length));
  out.set(TYPE_HASH_BYTES[primary], 0);
  fields.forEach((f, i) => {
    const offset = 32 * (i + 1);
    if (f.type === "bytes32") putHex(out, offset, values[i], 32, f.type);
    else if (f.type === "address") putHex(out, offset, values[i], 20, f.type);
    else if (f.type.startsWith("uint")) putUint(out, offset, values[i], Number(f.type.slice(4)), f.type);
    else throw new TypeError(`EIP-712: field type ${f.type} is not packed here`);
  });
  return keccak256Bytes(out);
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
  const out = new Uint8Array(66);
  out[0] = 0x19;
  out[1] = 0x01;
  if (!writeHex(out, 2, domainSeparator(domain), 32) || !writeHex(out, 34, struct, 32)) {
    throw new TypeError(`EIP-712: ${struct} is not a 32-byte hash`);
  }
  return keccak256Bytes(out);
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
