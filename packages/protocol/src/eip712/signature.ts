import { secp256k1 } from "@noble/curves/secp256k1";
import { type Address, bytesToHex, type Hex, hexToBytes, isAddressEqual } from "viem";
import { keccak256Bytes } from "../hash/keccak.js";
import { SignatureError } from "./SignatureError.js";
import { secp256k1Backend } from "./secp256k1Backend.js";

/** secp256k1 group order and its half: signatures with s above half are malleable. */
const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;

function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Signs a 32-byte digest. Returns 65 bytes `r ‖ s ‖ v` with low s and v = 27/28, the form
 * `ecrecover` and OpenZeppelin's ECDSA accept.
 */
export function signDigest(privateKey: Hex, digest: Hex): Hex {
  const { signature, recid } = secp256k1Backend.sign(hexToBytes(digest), hexToBytes(privateKey));
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bytesToHex(out);
}

/**
 * Recovers the address that signed `digest`. Rejects anything but the canonical form: exactly
 * 65 bytes, v of 27 or 28, 0 < r,s < n and s ≤ n/2 (no malleable twin of a valid signature).
 */
export function recoverDigestSigner(digest: Hex, signature: Hex | Uint8Array): Address {
  const bytes = typeof signature === "string" ? safeHexToBytes(signature) : signature;
  if (bytes.length !== 65) {
    throw new SignatureError("BAD_LENGTH", `A signature is 65 bytes; got ${bytes.length}.`);
  }
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) throw new SignatureError("BAD_V", `Signature v must be 27 or 28; got ${v}.`);
  const r = bytesToBigInt(bytes.subarray(0, 32));
  const s = bytesToBigInt(bytes.subarray(32, 64));
  if (r === 0n || r >= N || s === 0n || s >= N)
    throw new SignatureError("BAD_RS", "Signature r or s is out of range.");
  if (s > HALF_N) {
    throw new SignatureError("HIGH_S", "Signature has a high s value (malleable form).", {
      details: "Sign with a library that normalises s (every current wallet does).",
    });
  }
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1Backend.recover(bytes.subarray(0, 64), v - 27, hexToBytes(digest));
  } catch (cause) {
    throw new SignatureError("UNRECOVERABLE", "No public key recovers from this signature.", { cause });
  }
  return checksummed(keccak256Bytes(publicKey.subarray(1)).slice(26));
}

/** Recovers the signer and checks it is `expected`; throws WRONG_SIGNER otherwise. */
export function assertDigestSigner(digest: Hex, signature: Hex | Uint8Array, expected: Address): void {
  const signer = recoverDigestSigner(digest, signature);
  if (!isAddressEqual(signer, expected)) {
    throw new SignatureError("WRONG_SIGNER", "Signature is not from the expected signer.", {
      meta: { expected, recovered: signer },
    });
  }
}

const ascii = new TextEncoder();

/**
 * EIP-55 checksum of 40 lowercase hex digits (viem's `checksumAddress`, with the keccak backend:
 * native in Node, where recovery is the verifier's hot path).
 */
function checksummed(lower: string): Address {
  const hash = keccak256Bytes(ascii.encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    out += c > "9" && Number.parseInt(hash[2 + i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out as Address;
}

function safeHexToBytes(hex: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex))
    throw new SignatureError("BAD_LENGTH", "Signature is not 0x-prefixed hex.");
  return hexToBytes(hex as Hex);
}
