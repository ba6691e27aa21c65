/**
 * Hex digits decoded straight into a caller's buffer, validating as they go: the hashing and
 * encoding hot paths write their 0x-hex fields this way instead of a regex test plus viem's
 * `hexToBytes` (a new array per field, then copied).
 */

/** Nibble value of each char code below 256; -1 for a char that is not a hex digit. */
const NIBBLE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/**
 * Decodes the hex digits of `hex` from index `from` (an even count of them to its end) into `out`
 * at `pos`. Returns false at the first char that is not a hex digit (`out` then holds part of it).
 */
export function decodeHexInto(out: Uint8Array, pos: number, hex: string, from: number): boolean {
  let p = pos;
  for (let j = from; j < hex.length; j += 2) {
    const hi = hex.charCodeAt(j);
    const lo = hex.charCodeAt(j + 1);
    const h = hi < 256 ? NIBBLE[hi]! : -1;
    const l = lo < 256 ? NIBBLE[lo]! : -1;
    if (h < 0 || l < 0) return false;
    out[p++] = (h << 4) | l;
  }
  return true;
}

/**
 * Writes `value`, 0x-prefixed hex of exactly `size` bytes (either case), into `out` at `offset`.
 * Returns false when it is anything else: what `/^0x[0-9a-fA-F]*$/` plus a length check refuses.
 */
export function writeHex(out: Uint8Array, offset: number, value: unknown, size: number): boolean {
  return (
    typeof value === "string" &&
    value.length === 2 + 2 * size &&
    value.charCodeAt(0) === 48 &&
    value.charCodeAt(1) === 120 &&
    decodeHexInto(out, offset, value, 2)
  );
}
