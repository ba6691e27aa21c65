import { WIRE_LIMITS } from "@opg/protocol";
import { dcborDecodeOptions, dcborEncodeOptions, decode, encode } from "cbor2";
import { type Hex, hexToBytes } from "viem";
import { AttestationError } from "../errors/AttestationError.js";
import { plainBytes, toHex } from "../util/bytes.js";

export const TEE_PROOF_VERSION = 1;
/** Binding codes on the wire. */
export const TeeBindingCode = { ENCLAVE_KEY: 0, DOCUMENT: 1 } as const;
/** Byte length of an attestation id (sha256 of the document payload). */
export const ATTESTATION_ID_BYTES = 32;
/** Byte length of an enclave result signature (`r ‖ s ‖ v`). */
export const ENCLAVE_SIGNATURE_BYTES = 65;

/**
 * The `proof` field of a TEE-mode result message.
 *
 * - `enclave-key` (default): the enclave key signed the result; `attestation` is either the full
 *   attestation document carrying that key in `public_key`, or its id (sha256 of its payload)
 *   once the executor has sent the full document recently.
 * - `document`: a fresh attestation document whose `user_data` is the 32-byte `resultHash`.
 */
export type TeeProof =
  | { binding: "enclave-key"; attestation: { document: Uint8Array } | { id: Hex }; signature: Hex }
  | { binding: "document"; document: Uint8Array };

/**
 * Deterministic CBOR (RFC 8949 §4.2):
 * ```
 * [1, 0, attestation: bstr, signature: bstr .size 65]   ; enclave-key binding
 *        attestation = document (COSE_Sign1 bytes, > 32 bytes) / attestationId (32 bytes)
 * [1, 1, document: bstr]                                 ; per-result document binding
 * ```
 */
export function encodeTeeProof(proof: TeeProof): Uint8Array {
  const bytes =
    proof.binding === "enclave-key"
      ? encode(
          [
            TEE_PROOF_VERSION,
            TeeBindingCode.ENCLAVE_KEY,
            "document" in proof.attestation
              ? plainBytes(proof.attestation.document)
              : hexToBytes(proof.attestation.id),
            hexToBytes(proof.signature),
          ],
          dcborEncodeOptions,
        )
      : encode([TEE_PROOF_VERSION, TeeBindingCode.DOCUMENT, plainBytes(proof.document)], dcborEncodeOptions);
  // Encoding our own values: a wrong size is a programming error, caught by decoding it back.
  decodeTeeProof(bytes);
  return bytes;
}

/** Strict decoding (size cap, dCBOR, exact shapes and lengths); every failure is BAD_PROOF (or TOO_LARGE). */
export function decodeTeeProof(bytes: Uint8Array, maxBytes: number = WIRE_LIMITS.proofBytes): TeeProof {
  if (bytes.length > maxBytes) {
    throw new AttestationError("TOO_LARGE", `TEE proof of ${bytes.length} bytes exceeds ${maxBytes}.`);
  }
  let value: unknown;
  try {
    value = decode(plainBytes(bytes), dcborDecodeOptions);
  } catch (cause) {
    throw new AttestationError("BAD_PROOF", "The TEE proof is not deterministic CBOR.", { cause });
  }
  if (!Array.isArray(value) || value[0] !== TEE_PROOF_VERSION) {
    throw new AttestationError(
      "BAD_PROOF",
      `The TEE proof must be an array of version ${TEE_PROOF_VERSION}.`,
    );
  }
  const [, binding, attestation, signature] = value as unknown[];
  if (binding === TeeBindingCode.ENCLAVE_KEY) {
    if (
      value.length !== 4 ||
      !(attestation instanceof Uint8Array) ||
      attestation.length < ATTESTATION_ID_BYTES
    ) {
      throw new AttestationError("BAD_PROOF", "An enclave-key TEE proof is [1, 0, attestation, signature].");
    }
    if (!(signature instanceof Uint8Array) || signature.length !== ENCLAVE_SIGNATURE_BYTES) {
      throw new AttestationError(
        "BAD_PROOF",
        `The enclave signature must be ${ENCLAVE_SIGNATURE_BYTES} bytes.`,
      );
    }
    return {
      binding: "enclave-key",
      attestation:
        attestation.length === ATTESTATION_ID_BYTES ? { id: toHex(attestation) } : { document: attestation },
      signature: toHex(signature),
    };
  }
  if (binding === TeeBindingCode.DOCUMENT) {
    if (
      value.length !== 3 ||
      !(attestation instanceof Uint8Array) ||
      attestation.length <= ATTESTATION_ID_BYTES
    ) {
      throw new AttestationError("BAD_PROOF", "A document TEE proof is [1, 1, document].");
    }
    return { binding: "document", document: attestation };
  }
  throw new AttestationError("BAD_PROOF", `Unknown TEE binding ${String(binding)}.`);
}
