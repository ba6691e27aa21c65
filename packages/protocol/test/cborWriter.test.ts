import { dcborEncodeOptions, encode } from "cbor2";
import fc from "fast-check";
import { type Hex, hexToBytes, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeResultMessage, ProofMode, type ResultMessage } from "../src/index.js";
import { type CborItem, encodeCbor } from "../src/wire/cborWriter.js";

/** What cbor2 is given for the same item: hex strings as the bytes they stand for. */
function viaCbor2(item: CborItem): Uint8Array {
  const toCbor2 = (x: CborItem): unknown =>
    typeof x === "string" ? hexToBytes(x as Hex) : Array.isArray(x) ? x.map(toCbor2) : x;
  return encode(toCbor2(item), dcborEncodeOptions);
}

// Lengths and values on each side of every CBOR head size.
const EDGES = [0, 1, 23, 24, 255, 256, 65_535, 65_536];
const UINT_EDGES = [...EDGES, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];

describe("cborWriter", () => {
  it("default: the bytes of cbor2's deterministic encoding at every head size", () => {
    for (const n of UINT_EDGES) expect(encodeCbor(n)).toEqual(viaCbor2(n));
    for (const n of EDGES) {
      const bytes = new Uint8Array(n).map((_, i) => i * 7);
      expect(encodeCbor(bytes)).toEqual(viaCbor2(bytes));
      const hex = `0x${Buffer.from(bytes).toString("hex")}`;
      expect(encodeCbor(hex)).toEqual(viaCbor2(hex));
      expect(encodeCbor(Array.from({ length: Math.min(n, 300) }, () => 1))).toEqual(
        viaCbor2(Array.from({ length: Math.min(n, 300) }, () => 1)),
      );
    }
  });

  it("property: random nested items encode as cbor2 does", () => {
    const leaf = fc.oneof(
      fc.constantFrom(...UINT_EDGES),
      fc.nat(),
      fc.maxSafeNat(),
      fc.uint8Array({ maxLength: 300 }),
      fc
        .uint8Array({ maxLength: 70 })
        .chain((b) =>
          fc.constantFrom(
            `0x${Buffer.from(b).toString("hex")}`,
            `0x${Buffer.from(b).toString("hex").toUpperCase()}`,
          ),
        ),
    );
    const item = fc.letrec<{ item: CborItem }>((tie) => ({
      item: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("item"), { maxLength: 12 })),
    })).item;
    fc.assert(
      fc.property(item, (x) => {
        expect(encodeCbor(x)).toEqual(viaCbor2(x));
      }),
      { numRuns: 500 },
    );
  });

  it("edge: leaves to cbor2 what it does not write (odd or bad hex, negative, fractional, typed arrays)", () => {
    for (const x of [
      "0x123",
      "0xzz",
      "12ab",
      "0x\u0130a",
      -1,
      1.5,
      Number.NaN,
      2 ** 53,
      new Uint16Array(2) as unknown as Uint8Array,
      Buffer.from([1, 2]),
      [1, "0x1"],
    ] as CborItem[]) {
      expect(encodeCbor(x)).toBeUndefined();
    }
  });

  it("behavior: a result message has the bytes cbor2 gives it, with either origin", () => {
    const h = (s: string): Hex => keccak256(toHex(s));
    const base: ResultMessage = {
      requestId: h("r"),
      modelId: h("m"),
      inputHash: h("i"),
      outputHash: h("o"),
      executor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      mode: ProofMode.NONE,
      outputs: new Uint8Array(0),
      proof: new Uint8Array(0),
      signature: `0x${"ab".repeat(64)}1c`,
      origin: { type: "onchain" },
    };
    const reference = (m: ResultMessage): Uint8Array =>
      encode(
        [
          1,
          1,
          hexToBytes(m.requestId),
          hexToBytes(m.modelId),
          hexToBytes(m.inputHash),
          hexToBytes(m.outputHash),
          hexToBytes(m.executor),
          m.mode,
          m.outputs,
          m.proof,
          hexToBytes(m.signature),
          m.origin.type === "onchain"
            ? [0]
            : [
                1,
                hexToBytes(m.origin.requester),
                hexToBytes(`0x${m.origin.nonce.toString(16).padStart(64, "0")}`),
                Number(m.origin.deadline),
                hexToBytes(m.origin.requesterSignature),
              ],
        ],
        dcborEncodeOptions,
      );
    for (const n of EDGES) {
      for (const origin of [
        base.origin,
        {
          type: "direct" as const,
          requester: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" as const,
          nonce: 2n ** 200n + 5n,
          deadline: 2n ** 40n,
          requesterSignature: base.signature,
        },
      ]) {
        const m = {
          ...base,
          origin,
          mode: ProofMode.ZK,
          outputs: new Uint8Array(n).fill(3),
          proof: new Uint8Array(n % 300),
        };
        expect(encodeResultMessage(m)).toEqual(reference(m));
      }
    }
  });
});
