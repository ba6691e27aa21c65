import { encode } from "cbor2";
import { describe, expect, it } from "vitest";
import { AttestationError, decodeTeeProof, encodeTeeProof, type TeeProof } from "../src/index.js";

const signature = `0x${"11".repeat(64)}1b` as const;
const document = new Uint8Array(4000).fill(9);

function expectBadProof(bytes: Uint8Array, code: "BAD_PROOF" | "TOO_LARGE" = "BAD_PROOF"): void {
  try {
    decodeTeeProof(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect(err).toMatchObject({ code, action: "REJECT" });
    return;
  }
  throw new Error("expected a decoding failure");
}

describe("TeeProof", () => {
  it("default: round-trips every form: enclave key with document or id, per-result document", () => {
    const proofs: TeeProof[] = [
      { binding: "enclave-key", attestation: { document }, signature },
      { binding: "enclave-key", attestation: { id: `0x${"ab".repeat(32)}` }, signature },
      { binding: "document", document },
    ];
    for (const proof of proofs) expect(decodeTeeProof(encodeTeeProof(proof))).toEqual(proof);
  });

  it("default: the wire form is deterministic CBOR [version, binding, attestation, signature]", () => {
    const bytes = encodeTeeProof({
      binding: "enclave-key",
      attestation: { id: `0x${"ab".repeat(32)}` },
      signature,
    });
    expect(Buffer.from(bytes.subarray(0, 5)).toString("hex")).toBe("8401005820");
    expect(bytes).toHaveLength(1 + 1 + 1 + 2 + 32 + 2 + 65);
    expect(
      Buffer.from(encodeTeeProof({ binding: "document", document }).subarray(0, 3)).toString("hex"),
    ).toBe("830101");
  });

  it("error: malformed proofs are BAD_PROOF (REJECT)", () => {
    const id = new Uint8Array(32);
    const sig = new Uint8Array(65);
    expectBadProof(new Uint8Array([0xff]));
    expectBadProof(encode([2, 0, id, sig])); // version
    expectBadProof(encode([1, 7, id, sig])); // binding
    expectBadProof(encode([1, 0, id])); // field count
    expectBadProof(encode([1, 0, new Uint8Array(31), sig])); // attestation too short
    expectBadProof(encode([1, 0, id, new Uint8Array(64)])); // signature length
    expectBadProof(encode([1, 1, id])); // a 32-byte "document"
    expectBadProof(encode([1, 1, document, sig])); // extra field
    expectBadProof(encode({ version: 1 }));
    expectBadProof(new Uint8Array([...encode([1, 1, document]), 0x00])); // trailing byte
    expectBadProof(new Uint8Array([0x9f, 0x01, 0x01, 0x41, 0x00, 0xff])); // indefinite array: not deterministic
  });

  it("error: a proof over the wire cap is TOO_LARGE before decoding", () => {
    expectBadProof(new Uint8Array(256 * 1024 + 1), "TOO_LARGE");
  });
});
