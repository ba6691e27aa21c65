import fc from "fast-check";
import { type Hex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { writeHex } from "../src/hex/writeHex.js";

/** What the hashing paths checked before: the regex, the exact length, then viem's decoding. */
function reference(value: unknown, size: number): Uint8Array | undefined {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]*$/.test(value) || value.length !== 2 + 2 * size) {
    return undefined;
  }
  return hexToBytes(value as Hex);
}

describe("writeHex", () => {
  it("property: accepts exactly what the regex and length check accepted, with viem's bytes", () => {
    const hexish = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
      fc
        .uint8Array({ minLength: 20, maxLength: 20 })
        .map((b) => `0x${Buffer.from(b).toString("hex").toUpperCase()}`),
      fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFxXgG \u0130\u00ff"), maxLength: 70 }),
      fc
        .string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFgz\u0660"), maxLength: 68 })
        .map((s) => `0x${s}`),
    );
    fc.assert(
      fc.property(hexish, fc.constantFrom(20, 32), (value, size) => {
        const out = new Uint8Array(size);
        const ok = writeHex(out, 0, value, size);
        const expected = reference(value, size);
        expect(ok).toBe(expected !== undefined);
        if (expected) expect(out).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("edge: refuses non-strings, a capital 0X and the wrong length", () => {
    const out = new Uint8Array(32);
    for (const v of [
      undefined,
      null,
      12,
      12n,
      new Uint8Array(32),
      `0X${"ab".repeat(32)}`,
      `0x${"ab".repeat(31)}`,
    ]) {
      expect(writeHex(out, 0, v, 32)).toBe(false);
    }
    expect(writeHex(out, 12, `0x${"Ab".repeat(20)}`, 20)).toBe(true);
    expect(out.subarray(12)).toEqual(new Uint8Array(20).fill(0xab));
  });
});
