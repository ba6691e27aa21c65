import { encode, Tag } from "cbor2";
import { describe, expect, it } from "vitest";
import { toNitroDocument } from "../src/document/NitroDocument.js";
import {
  AttestationError,
  type AttestationErrorCode,
  ES384_PROTECTED_HEADER,
  encodeCoseSign1,
  parseAttestation,
} from "../src/index.js";

const pcrs = () => new Map(Array.from({ length: 16 }, (_, i) => [i, new Uint8Array(48).fill(i)] as const));

function payload(overrides: Record<string, unknown> = {}, drop: string[] = []): Map<unknown, unknown> {
  const fields: Record<string, unknown> = {
    module_id: "i-0123456789abcdef0-enc0123456789abcdef",
    digest: "SHA384",
    timestamp: 1_767_472_867_402,
    pcrs: pcrs(),
    certificate: new Uint8Array(640).fill(1),
    cabundle: [new Uint8Array(533).fill(2), new Uint8Array(700).fill(3)],
    public_key: null,
    user_data: null,
    nonce: null,
    ...overrides,
  };
  return new Map(Object.entries(fields).filter(([k]) => !drop.includes(k)));
}

function expectBad(value: unknown, code: AttestationErrorCode = "BAD_DOCUMENT"): void {
  try {
    toNitroDocument(value);
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("Nitro document fields", () => {
  it("default: a complete payload maps to a NitroDocument; null optional fields are absent; unknown keys ignored", () => {
    const doc = toNitroDocument(payload({ extra_field: 1 }));
    expect(doc).toMatchObject({
      moduleId: "i-0123456789abcdef0-enc0123456789abcdef",
      timestamp: 1_767_472_867_402,
    });
    expect(doc.pcrs.size).toBe(16);
    expect(doc.cabundle).toHaveLength(2);
    expect([doc.publicKey, doc.userData, doc.nonce]).toEqual([undefined, undefined, undefined]);
    const without = toNitroDocument(payload({}, ["public_key", "user_data", "nonce"]));
    expect(without.publicKey).toBeUndefined();
  });

  it("args: user_data, nonce and public_key up to 1024 bytes are accepted (the spec's 512 is exceeded in practice)", () => {
    const big = new Uint8Array(1024).fill(9);
    const doc = toNitroDocument(payload({ user_data: big, nonce: big, public_key: big }));
    expect([doc.userData?.length, doc.nonce?.length, doc.publicKey?.length]).toEqual([1024, 1024, 1024]);
    expect(toNitroDocument(payload({ user_data: new Uint8Array(0) })).userData).toEqual(new Uint8Array(0));
    expectBad(payload({ user_data: new Uint8Array(1025) }));
    expectBad(payload({ nonce: new Uint8Array(1025) }));
    expectBad(payload({ public_key: new Uint8Array(0) }));
    expectBad(payload({ public_key: "key" }));
  });

  it("error: every mandatory field missing or mistyped is BAD_DOCUMENT", () => {
    for (const field of ["module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"]) {
      expectBad(payload({}, [field]));
    }
    const bad: Record<string, unknown>[] = [
      { module_id: "" },
      { module_id: 7 },
      { digest: "SHA256" },
      { timestamp: 0 },
      { timestamp: -1 },
      { timestamp: 2n ** 64n - 1n },
      { timestamp: "1767472867402" },
      { pcrs: new Map() },
      { pcrs: new Map([[32, new Uint8Array(48)]]) },
      { pcrs: new Map([[-1, new Uint8Array(48)]]) },
      { pcrs: new Map([["0", new Uint8Array(48)]]) },
      { pcrs: new Map([[0, new Uint8Array(32)]]) },
      { pcrs: [new Uint8Array(48)] },
      { certificate: new Uint8Array(0) },
      { certificate: new Uint8Array(2049) },
      { cabundle: [] },
      { cabundle: new Uint8Array(10) },
      { cabundle: ["cert"] },
      { cabundle: Array.from({ length: 9 }, () => new Uint8Array(10)) },
    ];
    for (const overrides of bad) expectBad(payload(overrides));
    expectBad(new Map<unknown, unknown>([...payload(), [1, "x"]]));
    expectBad([1, 2, 3]);
  });

  it("error: a duplicate payload key or a float is BAD_CBOR; a tagged value is BAD_DOCUMENT", () => {
    const entries = encode(payload()).subarray(1); // drop the map header
    const duplicate = new Uint8Array([0xaa, ...entries, ...encode("digest"), ...encode("SHA384")]);
    const wrap = (p: Uint8Array) =>
      encodeCoseSign1({ protectedHeader: ES384_PROTECTED_HEADER, payload: p, signature: new Uint8Array(96) });
    const codeOf = (p: Uint8Array) => {
      try {
        parseAttestation(wrap(p));
        return "none";
      } catch (err) {
        return (err as AttestationError).code;
      }
    };
    expect(codeOf(encode(payload()))).toBe("none");
    expect(codeOf(duplicate)).toBe("BAD_CBOR");
    expect(codeOf(encode(payload({ timestamp: 1.5 })))).toBe("BAD_CBOR");
    expect(codeOf(encode(payload({ timestamp: new Tag(1, 1_767_472_867) })))).toBe("BAD_DOCUMENT");
  });
});
