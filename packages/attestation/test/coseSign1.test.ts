import { encode, Tag } from "cbor2";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationError,
  type AttestationErrorCode,
  coseSign1ToBeSigned,
  DevEnclave,
  NitroAttestationVerifier,
  parseAttestation,
  parseCoseSign1,
} from "../src/index.js";

let enclave: DevEnclave;
let verifier: NitroAttestationVerifier;
let good: Uint8Array;

beforeAll(async () => {
  enclave = await DevEnclave.create();
  verifier = new NitroAttestationVerifier({ extraRoots: [enclave.root.certificatePem] });
  good = await enclave.attest({});
});

function expectCode(fn: () => unknown, code: AttestationErrorCode): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("COSE_Sign1", () => {
  it("default: Sig_structure equals cbor2's encoding of [\"Signature1\", protected, h'', payload] at every length form", () => {
    for (const length of [0, 23, 24, 255, 256, 65_535, 65_536]) {
      const payload = new Uint8Array(length).fill(0x5a);
      const protectedHeader = new Uint8Array([0xa1, 0x01, 0x38, 0x22]);
      expect(coseSign1ToBeSigned(protectedHeader, payload)).toEqual(
        encode(["Signature1", protectedHeader, new Uint8Array(0), payload]),
      );
    }
  });

  it("args: a tagged COSE_Sign1 (tag 18) is accepted; any other tag is BAD_COSE", () => {
    const { cose } = parseAttestation(good);
    const tagged = encode(new Tag(18, [cose.protectedHeader, new Map(), cose.payload, cose.signature]));
    expect(verifier.verify(tagged).attestationId).toBe(parseAttestation(good).attestationId);
    const other = encode(new Tag(98, [cose.protectedHeader, new Map(), cose.payload, cose.signature]));
    expectCode(() => parseCoseSign1(other), "BAD_COSE");
  });

  it("error: not CBOR, truncated or with trailing bytes is BAD_CBOR", () => {
    expectCode(() => parseCoseSign1(new Uint8Array([0x1c])), "BAD_CBOR");
    expectCode(() => parseCoseSign1(good.subarray(0, good.length - 1)), "BAD_CBOR");
    expectCode(() => parseCoseSign1(new Uint8Array([...good, 0x00])), "BAD_CBOR");
    expectCode(() => parseCoseSign1(new Uint8Array(0)), "BAD_CBOR");
  });

  it("error: wrong shapes are BAD_COSE", () => {
    const { cose } = parseAttestation(good);
    const sig = cose.signature;
    const ph = cose.protectedHeader;
    const cases: unknown[] = [
      new Map([[1, 2]]),
      [ph, new Map(), cose.payload],
      [new Map([[1, -35]]), new Map(), cose.payload, sig], // protected not a byte string
      [ph, [], cose.payload, sig], // unprotected not a map
      [ph, new Map(), null, sig], // detached payload
      [ph, new Map(), new Uint8Array(0), sig],
      [ph, new Map(), cose.payload, sig.subarray(0, 64)], // ES256-sized signature
      [encode(new Map([[1, -7]])), new Map(), cose.payload, sig], // ES256
      [encode(new Map()), new Map(), cose.payload, sig], // no alg
      [
        encode(
          new Map<number, unknown>([
            [1, -35],
            [2, [1]],
          ]),
        ),
        new Map(),
        cose.payload,
        sig,
      ], // crit
      [new Uint8Array([0xff]), new Map(), cose.payload, sig], // protected not CBOR
    ];
    for (const value of cases) expectCode(() => parseCoseSign1(encode(value)), "BAD_COSE");
  });

  it("error: a document over the size cap is TOO_LARGE before any decoding", () => {
    expectCode(() => verifier.verify(new Uint8Array(32 * 1024 + 1)), "TOO_LARGE");
    const small = new NitroAttestationVerifier({
      extraRoots: [enclave.root.certificatePem],
      limits: { ...verifier.options.limits, documentBytes: 1000 },
    });
    expectCode(() => small.verify(good), "TOO_LARGE");
  });
});
