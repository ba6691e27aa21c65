import { decode, encode } from "cbor2";
import fc from "fast-check";
import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  type BatchSignatureMessage,
  decodeBatchProposalMessage,
  decodeBatchSignatureMessage,
  decodeBatchTopicMessage,
  decodeEnclaveRegistrationSignatureMessage,
  decodeResultMessage,
  type EnclaveRegistrationSignatureMessage,
  encodeBatchProposalMessage,
  encodeBatchSignatureMessage,
  encodeEnclaveRegistrationSignatureMessage,
  encodeResultMessage,
  gossipTopics,
  ProofMode,
  type ResultMessage,
  WIRE_LIMITS,
  WireError,
} from "../src/index.js";

const h = (s: string): Hex => keccak256(toHex(s));
const sig = `0x${"11".repeat(64)}1b` as Hex;
const onchain: ResultMessage = {
  requestId: h("r"),
  modelId: h("m"),
  inputHash: h("i"),
  outputHash: h("o"),
  executor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  mode: ProofMode.TEE,
  outputs: new Uint8Array([1, 0, 0]),
  proof: new Uint8Array([9, 9]),
  signature: sig,
  origin: { type: "onchain" },
};
const direct: ResultMessage = {
  ...onchain,
  origin: {
    type: "direct",
    requester: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    nonce: 2n ** 256n - 1n,
    deadline: 1_900_000_000n,
    requesterSignature: sig,
  },
};
const batchSig: BatchSignatureMessage = {
  configDigest: h("c"),
  batchId: 12n,
  root: h("root"),
  count: 1024,
  verifier: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  signature: sig,
};

function expectWire(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    expect((e as WireError).code).toBe(code);
    expect((e as WireError).action).toBe("REJECT");
    return;
  }
  throw new Error(`expected WireError ${code}`);
}

describe("wire messages", () => {
  it("default: result and batch signature messages round-trip", () => {
    expect(decodeResultMessage(encodeResultMessage(onchain))).toEqual(onchain);
    expect(decodeResultMessage(encodeResultMessage(direct))).toEqual(direct);
    expect(decodeBatchSignatureMessage(encodeBatchSignatureMessage(batchSig))).toEqual(batchSig);
  });

  it("behavior: topics are per chain", () => {
    expect(gossipTopics(31337)).toEqual({
      results: "/opg/2/results/31337",
      batchSignatures: "/opg/2/batch-signatures/31337",
    });
  });

  it("property: random fields round-trip", () => {
    const b32 = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
    fc.assert(
      fc.property(
        b32,
        b32,
        fc.uint8Array({ maxLength: 300 }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        fc.constantFrom(0, 1, 2),
        (a, b, bytes, nonce, mode) => {
          const m: ResultMessage = {
            ...direct,
            requestId: a,
            outputHash: b,
            outputs: bytes,
            mode: mode as ResultMessage["mode"],
            origin: { ...(direct.origin as Extract<ResultMessage["origin"], { type: "direct" }>), nonce },
          };
          expect(decodeResultMessage(encodeResultMessage(m))).toEqual(m);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: random and truncated bytes yield only WireError", () => {
    const valid = encodeResultMessage(direct);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(valid.length - 1), (bytes, cut) => {
        for (const input of [bytes, valid.subarray(0, cut)]) {
          for (const decode of [decodeResultMessage, decodeBatchSignatureMessage]) {
            try {
              decode(input);
            } catch (e) {
              expect(e).toBeInstanceOf(WireError);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("property: any one flipped byte is decoded or refused with WireError", () => {
    const valid = encodeResultMessage(direct);
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bytes = new Uint8Array(valid);
        bytes[at]! ^= x;
        try {
          decodeResultMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("error: oversized messages are refused before decoding", () => {
    expectWire(() => decodeResultMessage(new Uint8Array(WIRE_LIMITS.resultMessageBytes + 1)), "TOO_LARGE");
    expectWire(
      () => decodeBatchSignatureMessage(new Uint8Array(WIRE_LIMITS.batchSignatureMessageBytes + 1)),
      "TOO_LARGE",
    );
    expectWire(
      () => encodeResultMessage({ ...onchain, outputs: new Uint8Array(WIRE_LIMITS.resultMessageBytes) }),
      "TOO_LARGE",
    );
  });

  it("error: version, kind, shape and field violations", () => {
    const fields = (m: unknown[]) => encode(m);
    expectWire(() => decodeResultMessage(fields([2, 1])), "BAD_VERSION");
    expectWire(() => decodeResultMessage(encodeBatchSignatureMessage(batchSig)), "WRONG_KIND");
    expectWire(() => decodeBatchSignatureMessage(encodeResultMessage(onchain)), "WRONG_KIND");
    expectWire(() => decodeResultMessage(fields([1, 1, 3])), "BAD_SHAPE");
    expectWire(() => decodeResultMessage(fields({ a: 1 } as unknown as unknown[])), "BAD_SHAPE");
    const bad = [1, 2, new Uint8Array(31), 1, new Uint8Array(32), 1, new Uint8Array(20), new Uint8Array(65)];
    expectWire(() => decodeBatchSignatureMessage(fields(bad)), "BAD_FIELD");
    const negative = [
      1,
      2,
      new Uint8Array(32),
      -1,
      new Uint8Array(32),
      1,
      new Uint8Array(20),
      new Uint8Array(65),
    ];
    expectWire(() => decodeBatchSignatureMessage(fields(negative)), "BAD_FIELD");
    const huge = [
      1,
      2,
      new Uint8Array(32),
      2n ** 60n,
      new Uint8Array(32),
      1,
      new Uint8Array(20),
      new Uint8Array(65),
    ];
    expectWire(() => decodeBatchSignatureMessage(fields(huge)), "BAD_FIELD");
    expectWire(() => encodeBatchSignatureMessage({ ...batchSig, batchId: 2n ** 64n }), "BAD_FIELD");
    expectWire(() => decodeResultMessage(new Uint8Array([0x9f, 0x01, 0xff])), "MALFORMED_CBOR");
    expectWire(() => decodeResultMessage(new Uint8Array([0x82, 0x18, 0x01, 0x01])), "MALFORMED_CBOR");
  });
});

describe("batch proposals", () => {
  const proposal = {
    configDigest: h("c"),
    batchId: 3n,
    root: h("root"),
    count: 2,
    resultHashes: [h("a"), h("b")],
    proposer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" as const,
    signature: sig,
  };

  it("default: round-trips, alone and through the batch topic decoder", () => {
    const bytes = encodeBatchProposalMessage(proposal);
    expect(decodeBatchProposalMessage(bytes)).toEqual(proposal);
    expect(decodeBatchTopicMessage(bytes)).toEqual({ kind: "proposal", message: proposal });
    expect(decodeBatchTopicMessage(encodeBatchSignatureMessage(batchSig))).toEqual({
      kind: "signature",
      message: batchSig,
    });
  });

  it("error: count and hashes disagree, or nothing is proposed", () => {
    expectWire(() => encodeBatchProposalMessage({ ...proposal, count: 3 }), "BAD_FIELD");
    const bytes = encodeBatchProposalMessage(proposal);
    const v = decode(bytes) as unknown[];
    v[5] = 3;
    expectWire(() => decodeBatchProposalMessage(encode(v)), "BAD_FIELD");
    v[5] = 0;
    v[6] = new Uint8Array(0);
    expectWire(() => decodeBatchProposalMessage(encode(v)), "BAD_FIELD");
    expectWire(() => decodeBatchTopicMessage(encodeResultMessage(onchain)), "WRONG_KIND");
  });
});

describe("enclave registration signatures", () => {
  const reg: EnclaveRegistrationSignatureMessage = {
    enclave: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    measurement: h("measurement"),
    expiresAt: 1_900_010_800n,
    configDigest: h("c"),
    verifier: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    signature: sig,
  };

  it("default: round-trips, alone and through the batch topic decoder", () => {
    const bytes = encodeEnclaveRegistrationSignatureMessage(reg);
    expect(decode(bytes)).toEqual([
      1,
      4,
      expect.any(Uint8Array),
      expect.any(Uint8Array),
      1_900_010_800,
      expect.any(Uint8Array),
      expect.any(Uint8Array),
      expect.any(Uint8Array),
    ]);
    expect(decodeEnclaveRegistrationSignatureMessage(bytes)).toEqual(reg);
    expect(decodeBatchTopicMessage(bytes)).toEqual({ kind: "enclave", message: reg });
  });

  it("property: random fields round-trip", () => {
    const bytesOf = (n: number) =>
      fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
    fc.assert(
      fc.property(
        bytesOf(32),
        bytesOf(32),
        fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
        (m, c, expiresAt) => {
          const message = { ...reg, measurement: m, configDigest: c, expiresAt };
          expect(
            decodeEnclaveRegistrationSignatureMessage(encodeEnclaveRegistrationSignatureMessage(message)),
          ).toEqual(message);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: any one flipped byte is decoded or refused with WireError", () => {
    const valid = encodeEnclaveRegistrationSignatureMessage(reg);
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bytes = new Uint8Array(valid);
        bytes[at]! ^= x;
        for (const decodeFn of [decodeEnclaveRegistrationSignatureMessage, decodeBatchTopicMessage]) {
          try {
            decodeFn(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("error: size, kind, shape and field violations", () => {
    expectWire(
      () =>
        decodeEnclaveRegistrationSignatureMessage(
          new Uint8Array(WIRE_LIMITS.enclaveRegistrationMessageBytes + 1),
        ),
      "TOO_LARGE",
    );
    expectWire(
      () => decodeEnclaveRegistrationSignatureMessage(encodeBatchSignatureMessage(batchSig)),
      "WRONG_KIND",
    );
    expectWire(
      () => decodeBatchSignatureMessage(encodeEnclaveRegistrationSignatureMessage(reg)),
      "WRONG_KIND",
    );
    const v = decode(encodeEnclaveRegistrationSignatureMessage(reg)) as unknown[];
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(encode([...v, 0])), "BAD_SHAPE");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(encode(v.slice(0, 7))), "BAD_SHAPE");
    const field = (i: number, value: unknown) => encode(v.map((x, j) => (j === i ? value : x)));
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(2, new Uint8Array(19))), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(3, new Uint8Array(31))), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(4, -1)), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(4, 2n ** 60n)), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(4, "1")), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(5, new Uint8Array(33))), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(6, new Uint8Array(32))), "BAD_FIELD");
    expectWire(() => decodeEnclaveRegistrationSignatureMessage(field(7, new Uint8Array(64))), "BAD_FIELD");
    expectWire(
      () => encodeEnclaveRegistrationSignatureMessage({ ...reg, expiresAt: 2n ** 64n - 1n }),
      "BAD_FIELD",
    );
    // The batch topic decoder holds kind 4 to its own (small) cap.
    const padded = encode([...v.slice(0, 7), new Uint8Array(WIRE_LIMITS.enclaveRegistrationMessageBytes)]);
    expectWire(() => decodeBatchTopicMessage(padded), "TOO_LARGE");
  });
});
