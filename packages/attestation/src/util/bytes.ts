import { sha256Backend } from "@opg/protocol";
import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";

/** Bytes or 0x-prefixed hex, as accepted by every public function of this package. */
export type BytesLike = Uint8Array | Hex;

/** Converts hex or bytes to bytes; `undefined` when the string is not 0x-prefixed even-length hex. */
export function tryToBytes(value: BytesLike): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (!isHex(value, { strict: true }) || value.length % 2 !== 0) return undefined;
  return hexToBytes(value);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isAllZero(a: Uint8Array): boolean {
  for (const b of a) if (b !== 0) return false;
  return true;
}

export function sha256Hex(...parts: Uint8Array[]): Hex {
  return bytesToHex(sha256Backend.hash(parts.length === 1 ? parts[0]! : concatBytes(parts)));
}

export function toHex(bytes: Uint8Array): Hex {
  return bytesToHex(bytes);
}

/** A plain Uint8Array view (Buffer subclasses confuse CBOR encoders and equality checks). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
