import type { Address, Hex } from "viem";
import { enclaveAddressFromPublicKey } from "../enclave/EnclaveKey.js";
import { enclaveMeasurement } from "../policy/PcrAllowlist.js";
import { toHex } from "../util/bytes.js";
import type { VerifiedAttestation } from "../verify/NitroAttestationVerifier.js";

/**
 * An enclave key vouched for by a verified attestation document: what verifiers cache and what
 * the chain registers (`toEnclaveRegistration`).
 */
export type EnclaveKeyRecord = {
  /** The key's Ethereum address: `ecrecover(resultHash, signature)` must return it. */
  address: Address;
  /** The key as carried in `public_key`: 65-byte uncompressed secp256k1 point. */
  publicKey: Hex;
  /** `keccak256(PCR0 ‖ PCR1 ‖ PCR2)` of the attesting enclave. */
  measurement: Hex;
  /** All PCRs of the attesting enclave; absent for records rebuilt from the chain (measurement only). */
  pcrs: ReadonlyMap<number, Uint8Array> | undefined;
  moduleId: string;
  /** Id (sha256 of the payload) of the document that vouched for the key. */
  attestationId: Hex;
  /** That document's timestamp (ms since the epoch). */
  attestedAt: number;
  /** After this (ms since the epoch) the key signs nothing valid until a newer document vouches for it. */
  expiresAt: number;
  /** True when the document chains to the AWS root (false: a configured root such as the dev root). */
  aws: boolean;
};

/** Builds the record of a verified document carrying an enclave key; throws BINDING_MISMATCH without one. */
export function enclaveKeyRecord(verified: VerifiedAttestation, ttlMs: number): EnclaveKeyRecord {
  const { document } = verified;
  const publicKey = document.publicKey;
  const address = enclaveAddressFromPublicKey(publicKey ?? new Uint8Array());
  // Copies, so a cached record does not keep the whole document buffer alive; frozen, so callers
  // holding a record cannot alter the cache.
  const pcrs = new Map([...document.pcrs].map(([i, v]) => [i, v.slice()] as const));
  return Object.freeze({
    address,
    publicKey: toHex(publicKey!),
    measurement: enclaveMeasurement(pcrs),
    pcrs,
    moduleId: document.moduleId,
    attestationId: verified.attestationId,
    attestedAt: document.timestamp,
    expiresAt: document.timestamp + ttlMs,
    aws: verified.root.aws,
  });
}

/**
 * The on-chain registration of an enclave key, as the EnclaveRegistry contract stores it:
 * enclave address → (measurement, expiry in Unix seconds, rounded down).
 */
export function toEnclaveRegistration(record: EnclaveKeyRecord): {
  enclave: Address;
  measurement: Hex;
  expiresAt: bigint;
} {
  return {
    enclave: record.address,
    measurement: record.measurement,
    expiresAt: BigInt(Math.floor(record.expiresAt / 1000)),
  };
}
