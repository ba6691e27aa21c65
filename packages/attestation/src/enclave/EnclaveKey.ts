import { createPublicKey } from "node:crypto";
import { signDigest } from "@opg/protocol";
import { type Address, type Hex, hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount, publicKeyToAddress } from "viem/accounts";
import { AttestationError } from "../errors/AttestationError.js";
import { toHex } from "../util/bytes.js";

/**
 * Size of the enclave key as carried in the attestation document's `public_key` field: the
 * uncompressed SEC1 encoding of a secp256k1 point, `0x04 ‖ X (32 bytes) ‖ Y (32 bytes)`, raw
 * (not DER/SPKI). Its Ethereum address is `keccak256(X ‖ Y)[12:]`, the address `ecrecover`
 * returns for the enclave's result signatures, on and off chain.
 */
export const ENCLAVE_PUBLIC_KEY_BYTES = 65;

/**
 * The enclave's result-signing key: secp256k1, created at enclave boot, never leaving the
 * enclave. Its public key goes into the attestation document (`public_key`); each result is then
 * signed with it: a 65-byte `r ‖ s ‖ v` signature (low s, v = 27/28) over the raw 32-byte
 * `resultHash`, checked with `ecrecover`.
 */
export class EnclaveKey {
  readonly #privateKey: Hex;
  /** 65 bytes, `0x04 ‖ X ‖ Y`: what goes into `public_key`. */
  readonly publicKey: Uint8Array;
  readonly address: Address;

  private constructor(privateKey: Hex) {
    this.#privateKey = privateKey;
    const account = privateKeyToAccount(privateKey);
    this.publicKey = hexToBytes(account.publicKey);
    this.address = account.address;
  }

  /** A fresh key from the platform CSPRNG (inside a Nitro enclave: seeded by the NSM). */
  static generate(): EnclaveKey {
    return new EnclaveKey(generatePrivateKey());
  }

  /** For tests and tools; a production enclave only ever generates its key. */
  static fromPrivateKey(privateKey: Hex): EnclaveKey {
    return new EnclaveKey(privateKey);
  }

  /** Signs a result: `r ‖ s ‖ v` over the raw `resultHash` (no prefix), as `ecrecover` expects. */
  signResult(resultHash: Hex): Hex {
    return signDigest(this.#privateKey, resultHash);
  }
}

/**
 * The Ethereum address of an enclave key read from `public_key`. Throws BINDING_MISMATCH unless
 * it is exactly 65 bytes, starts with 0x04 and is a point of secp256k1.
 */
export function enclaveAddressFromPublicKey(publicKey: Uint8Array): Address {
  if (publicKey.length !== ENCLAVE_PUBLIC_KEY_BYTES || publicKey[0] !== 0x04) {
    throw new AttestationError(
      "BINDING_MISMATCH",
      "public_key is not an uncompressed secp256k1 enclave key (65 bytes, 0x04 ‖ X ‖ Y).",
      { details: `${publicKey.length} bytes, first byte 0x${(publicKey[0] ?? 0).toString(16)}` },
    );
  }
  try {
    createPublicKey({
      key: {
        kty: "EC",
        crv: "secp256k1",
        x: Buffer.from(publicKey.subarray(1, 33)).toString("base64url"),
        y: Buffer.from(publicKey.subarray(33, 65)).toString("base64url"),
      },
      format: "jwk",
    });
  } catch (cause) {
    throw new AttestationError("BINDING_MISMATCH", "public_key is not a point of secp256k1.", { cause });
  }
  return publicKeyToAddress(toHex(publicKey));
}
