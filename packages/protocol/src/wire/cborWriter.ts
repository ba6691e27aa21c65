/**
 * A minimal deterministic CBOR writer for the shapes the gossip messages use: unsigned integers,
 * byte strings and arrays of them. It gives the bytes cbor2's `encode(…, dcborEncodeOptions)`
 * gives for these shapes (shortest heads, definite lengths; checked against cbor2 by
 * cborWriter.test.ts) without cbor2's generic per-value dispatch and intermediate buffers: the
 * executor encodes every result it signs. Anything else makes `encodeCbor` return undefined, and
 * the caller uses cbor2.
 */

import { decodeHexInto } from "../hex/writeHex.js";

/**
 * An unsigned safe integer, a byte string as a plain Uint8Array, a byte string as 0x-prefixed
 * hex of even length (decoded straight into the output; the wire carries no text strings), or an
 * array of these.
 */
export type CborItem = number | Uint8Array | string | readonly CborItem[];

const MAJOR_UINT = 0;
const MAJOR_BYTES = 2;
const MAJOR_ARRAY = 4;

function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** Encoded size of `item`, or -1 when it is not one of the shapes written here. */
function sizeOf(item: CborItem): number {
  if (typeof item === "number") {
    return Number.isSafeInteger(item) && item >= 0 ? headLength(item) : -1;
  }
  if (typeof item === "string") {
    if (item.length % 2 !== 0 || item.charCodeAt(0) !== 48 || item.charCodeAt(1) !== 120) return -1;
    const n = (item.length - 2) / 2;
    return headLength(n) + n;
  }
  if (item instanceof Uint8Array) {
    return item.constructor === Uint8Array ? headLength(item.length) + item.length : -1;
  }
  if (Array.isArray(item)) {
    let total = headLength(item.length);
    for (const x of item as readonly CborItem[]) {
      const s = sizeOf(x);
      if (s < 0) return -1;
      total += s;
    }
    return total;
  }
  return -1;
}

function writeHead(out: Uint8Array, pos: number, major: number, n: number): number {
  const m = major << 5;
  if (n < 24) {
    out[pos] = m | n;
    return pos + 1;
  }
  if (n < 0x100) {
    out[pos] = m | 24;
    out[pos + 1] = n;
    return pos + 2;
  }
  if (n < 0x10000) {
    out[pos] = m | 25;
    out[pos + 1] = n >>> 8;
    out[pos + 2] = n & 0xff;
    return pos + 3;
  }
  let p = pos + 1;
  if (n <= 0xffffffff) {
    out[pos] = m | 26;
  } else {
    out[pos] = m | 27;
    const hi = Math.floor(n / 0x100000000);
    out[p++] = hi >>> 24;
    out[p++] = (hi >>> 16) & 0xff;
    out[p++] = (hi >>> 8) & 0xff;
    out[p++] = hi & 0xff;
  }
  const lo = n >>> 0;
  out[p++] = lo >>> 24;
  out[p++] = (lo >>> 16) & 0xff;
  out[p++] = (lo >>> 8) & 0xff;
  out[p++] = lo & 0xff;
  return p;
}

/** Writes `item` (already sized) at `pos`; returns the next position, or -1 on a bad hex digit. */
function write(out: Uint8Array, pos: number, item: CborItem): number {
  if (typeof item === "number") return writeHead(out, pos, MAJOR_UINT, item);
  if (typeof item === "string") {
    const n = (item.length - 2) / 2;
    const p = writeHead(out, pos, MAJOR_BYTES, n);
    return decodeHexInto(out, p, item, 2) ? p + n : -1;
  }
  if (item instanceof Uint8Array) {
    const p = writeHead(out, pos, MAJOR_BYTES, item.length);
    out.set(item, p);
    return p + item.length;
  }
  const items = item as readonly CborItem[];
  let p = writeHead(out, pos, MAJOR_ARRAY, items.length);
  for (const x of items) {
    p = write(out, p, x);
    if (p < 0) return -1;
  }
  return p;
}

/** The deterministic CBOR of `item`, or undefined when it holds anything but the shapes above. */
export function encodeCbor(item: CborItem): Uint8Array | undefined {
  const size = sizeOf(item);
  if (size < 0) return undefined;
  const out = new Uint8Array(size);
  return write(out, 0, item) === size ? out : undefined;
}
