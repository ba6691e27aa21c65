import { Tag } from "cbor2";
import { AttestationError } from "../errors/AttestationError.js";
import { concatBytes, plainBytes } from "../util/bytes.js";
import { decodeStrict } from "./strictCbor.js";

/** COSE algorithm identifier of ECDSA with SHA-384 on P-384 (RFC 9053). */
export const COSE_ALG_ES384 = -35;
/** CBOR tag of a tagged COSE_Sign1 (Nitro documents are untagged; both are accepted). */
export const COSE_SIGN1_TAG = 18;
/** An ES384 signature: r ‖ s, 48 bytes each (IEEE P1363 form, not DER). */
export const ES384_SIGNATURE_BYTES = 96;

/**
 * A decoded COSE_Sign1 (RFC 9052 §4.2). `protectedHeader` and `payload` are the original bytes
 * of those byte strings, as signed: the signature is checked over exactly these, never over a
 * re-encoding of their decoded contents.
 */
export type CoseSign1 = {
  protectedHeader: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
};

/**
 * Parses `[protected: bstr, unprotected: map, payload: bstr, signature: bstr]` (optionally tag 18)
 * and checks the protected header names ES384 and no critical parameters. Throws BAD_CBOR or
 * BAD_COSE.
 */
export function parseCoseSign1(bytes: Uint8Array): CoseSign1 {
  let outer: unknown;
  try {
    outer = decodeStrict(plainBytes(bytes));
  } catch (cause) {
    throw new AttestationError("BAD_CBOR", "The attestation document is not well-formed CBOR.", { cause });
  }
  if (outer instanceof Tag) {
    if (Number(outer.tag) !== COSE_SIGN1_TAG) {
      throw new AttestationError("BAD_COSE", `Unexpected CBOR tag ${String(outer.tag)} around COSE_Sign1.`);
    }
    outer = outer.contents;
  }
  if (!Array.isArray(outer) || outer.length !== 4) {
    throw new AttestationError("BAD_COSE", "COSE_Sign1 must be an array of four items.");
  }
  const [protectedHeader, unprotected, payload, signature] = outer as unknown[];
  if (!(protectedHeader instanceof Uint8Array)) {
    throw new AttestationError("BAD_COSE", "The COSE protected header must be a byte string.");
  }
  if (!(unprotected instanceof Map)) {
    throw new AttestationError("BAD_COSE", "The COSE unprotected header must be a map.");
  }
  if (!(payload instanceof Uint8Array) || payload.length === 0) {
    throw new AttestationError("BAD_COSE", "The COSE payload must be an attached, non-empty byte string.");
  }
  if (!(signature instanceof Uint8Array) || signature.length !== ES384_SIGNATURE_BYTES) {
    throw new AttestationError("BAD_COSE", `An ES384 signature is ${ES384_SIGNATURE_BYTES} bytes.`, {
      details: signature instanceof Uint8Array ? `got ${signature.length} bytes` : "not a byte string",
    });
  }
  checkProtectedHeader(protectedHeader);
  return { protectedHeader, payload, signature };
}

function checkProtectedHeader(bytes: Uint8Array): void {
  let header: unknown;
  try {
    header = decodeStrict(bytes);
  } catch (cause) {
    throw new AttestationError("BAD_COSE", "The COSE protected header is not well-formed CBOR.", { cause });
  }
  if (!(header instanceof Map))
    throw new AttestationError("BAD_COSE", "The COSE protected header must be a map.");
  const alg = header.get(1);
  if (alg !== COSE_ALG_ES384) {
    throw new AttestationError("BAD_COSE", "The COSE algorithm must be ES384 (-35).", {
      details: `alg is ${String(alg)}`,
    });
  }
  if (header.has(2)) {
    throw new AttestationError("BAD_COSE", "The COSE protected header lists critical parameters.");
  }
}

/**
 * The COSE `Sig_structure` for COSE_Sign1 with empty external data (RFC 9052 §4.4):
 * `["Signature1", protected, h'', payload]`, built byte by byte from the original strings.
 */
export function coseSign1ToBeSigned(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return concatBytes([
    ARRAY_OF_FOUR,
    SIGNATURE1_CONTEXT,
    byteStringHeader(protectedHeader.length),
    protectedHeader,
    EMPTY_BYTE_STRING, // external_aad
    byteStringHeader(payload.length),
    payload,
  ]);
}

/** Encodes an untagged COSE_Sign1 exactly as the NSM does: empty unprotected map, attached payload. */
export function encodeCoseSign1(parts: CoseSign1): Uint8Array {
  return concatBytes([
    ARRAY_OF_FOUR,
    byteStringHeader(parts.protectedHeader.length),
    parts.protectedHeader,
    EMPTY_MAP, // unprotected
    byteStringHeader(parts.payload.length),
    parts.payload,
    byteStringHeader(parts.signature.length),
    parts.signature,
  ]);
}

const ARRAY_OF_FOUR = new Uint8Array([0x84]);
const EMPTY_BYTE_STRING = new Uint8Array([0x40]);
const EMPTY_MAP = new Uint8Array([0xa0]);

/** `h'a1013822'`: the protected header `{1: -35}` (alg ES384), as the NSM encodes it. */
export const ES384_PROTECTED_HEADER = new Uint8Array([0xa1, 0x01, 0x38, 0x22]);

/** "Signature1" as a CBOR text string. */
const SIGNATURE1_CONTEXT = new Uint8Array([0x6a, ...new TextEncoder().encode("Signature1")]);

/** The shortest CBOR header of a byte string (major type 2) of `length` bytes. */
export function byteStringHeader(length: number): Uint8Array {
  if (length < 24) return new Uint8Array([0x40 | length]);
  if (length < 0x100) return new Uint8Array([0x58, length]);
  if (length < 0x10000) return new Uint8Array([0x59, length >> 8, length & 0xff]);
  if (length < 0x100000000) {
    return new Uint8Array([
      0x5a,
      length >>> 24,
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    ]);
  }
  throw new RangeError("Byte strings of 4 GiB or more are not supported.");
}
