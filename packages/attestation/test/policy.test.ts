import { OpgError, ValidationError } from "@opg/protocol";
import { concat, encodePacked, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import {
  AttestationConfigError,
  AttestationError,
  allowlistHasMeasurement,
  attestationErrorAction,
  checkAttestationPolicy,
  devEnclavePcrs,
  enclaveMeasurement,
  isDebugEnclave,
  matchesPcrAllowlist,
  type NitroDocument,
  pcrSetOf,
  TeeVerifier,
  TrustedRoots,
} from "../src/index.js";

const pcrs = devEnclavePcrs("policy-test");
const doc = {
  pcrs,
  moduleId: "m",
  timestamp: 1_000_000,
  nonce: new Uint8Array([1]),
} as unknown as NitroDocument;

describe("PCR allowlist", () => {
  it("default: a document matches when one set equals its PCRs (any subset of indices)", () => {
    expect(matchesPcrAllowlist(pcrs, [pcrSetOf(doc)])).toBe(true);
    expect(matchesPcrAllowlist(pcrs, [pcrSetOf(doc, [0]), pcrSetOf(doc, [0, 1, 2, 3, 4, 8])])).toBe(true);
    const other = devEnclavePcrs("other");
    expect(matchesPcrAllowlist(other, [pcrSetOf(doc)])).toBe(false);
    expect(matchesPcrAllowlist(pcrs, [{ ...pcrSetOf(doc), 20: `0x${"00".repeat(48)}` }])).toBe(false); // absent PCR
    expect(matchesPcrAllowlist(pcrs, [])).toBe(false);
  });

  it("error: an empty set, a bad index or a bad value is BAD_PCR_ALLOWLIST", () => {
    for (const set of [{}, { 32: `0x${"00".repeat(48)}` }, { 0: `0x${"00".repeat(32)}` }, { 0: "00" }]) {
      expect(() => matchesPcrAllowlist(pcrs, [set as never])).toThrow(AttestationConfigError);
    }
  });

  it("default: the measurement is keccak256(PCR0 ‖ PCR1 ‖ PCR2), as Solidity's abi.encodePacked computes it", () => {
    const [p0, p1, p2] = [0, 1, 2].map((i) => pcrSetOf(doc, [i])[i]!);
    expect(enclaveMeasurement(pcrs)).toBe(
      keccak256(encodePacked(["bytes", "bytes", "bytes"], [p0!, p1!, p2!])),
    );
    expect(enclaveMeasurement(pcrs)).toBe(keccak256(concat([p0!, p1!, p2!])));
    expect(allowlistHasMeasurement([pcrSetOf(doc)], enclaveMeasurement(pcrs))).toBe(true);
    expect(allowlistHasMeasurement([pcrSetOf(doc, [0, 1, 2, 8])], enclaveMeasurement(pcrs))).toBe(false);
  });

  it("default: debug mode is PCR0, PCR1 and PCR2 all zero", () => {
    expect(isDebugEnclave(pcrs)).toBe(false);
    const zero = new Map(pcrs);
    for (const i of [0, 1, 2]) zero.set(i, new Uint8Array(48));
    expect(isDebugEnclave(zero)).toBe(true);
    zero.set(2, pcrs.get(2)!);
    expect(isDebugEnclave(zero)).toBe(false);
  });
});

describe("checkAttestationPolicy", () => {
  it("default: an empty policy checks only debug mode", () => {
    expect(() => checkAttestationPolicy(doc, {})).not.toThrow();
  });

  it("args: nonce, bytes or hex", () => {
    expect(() => checkAttestationPolicy(doc, { nonce: "0x01" })).not.toThrow();
    expect(() => checkAttestationPolicy(doc, { nonce: new Uint8Array([1]) })).not.toThrow();
    expect(() => checkAttestationPolicy(doc, { nonce: "0x02" })).toThrow(AttestationError);
    expect(() => checkAttestationPolicy(doc, { publicKey: "0x02" })).toThrow(/public_key/);
  });

  it("error: misuse is AttestationConfigError (maxAgeMs without now, non-hex expectations)", () => {
    expect(() => checkAttestationPolicy(doc, { maxAgeMs: 1 })).toThrow(AttestationConfigError);
    expect(() => checkAttestationPolicy(doc, { nonce: "0x1" as never })).toThrow(AttestationConfigError);
  });
});

describe("errors and configuration", () => {
  it("default: AttestationError is a gossip ValidationError: REJECT except UNKNOWN_ATTESTATION (IGNORE)", () => {
    const err = new AttestationError("PCR_MISMATCH", "x");
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(OpgError);
    expect(err).toMatchObject({ name: "AttestationError", action: "REJECT", retryable: false });
    expect(attestationErrorAction("UNKNOWN_ATTESTATION")).toBe("IGNORE");
    expect(attestationErrorAction("STALE")).toBe("REJECT");
  });

  it("error: trusting no root, or a root that is no P-384 CA, is rejected at construction", () => {
    expect(() => new TrustedRoots({ trustAwsRoot: false })).toThrow(AttestationConfigError);
    expect(() => new TrustedRoots({ extraRoots: ["not a pem"] })).toThrow(/CERTIFICATE/);
    expect(() => new TrustedRoots({ extraRoots: [new Uint8Array([1, 2, 3])] })).toThrow(/X.509/);
    expect(new TrustedRoots().list()).toHaveLength(1);
  });

  it("error: TeeVerifier rejects bad options and bad result hashes as AttestationConfigError", () => {
    expect(() => new TeeVerifier({ pcrAllowlist: () => undefined, maxEnclaveKeys: 0 })).toThrow(
      AttestationConfigError,
    );
    const v = new TeeVerifier({ pcrAllowlist: () => undefined });
    expect(() => v.verifyProof({ modelId: "0x00", resultHash: "0x1234", proof: new Uint8Array() })).toThrow(
      AttestationConfigError,
    );
  });
});
