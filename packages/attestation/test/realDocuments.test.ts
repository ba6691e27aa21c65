/**
 * Real AWS Nitro attestation documents, verified with the clock pinned to their own timestamps,
 * and negative cases derived from them. Sources (copied byte for byte into test/fixtures/):
 *
 * - fixtures/sui-2024-11-14.hex: github.com/MystenLabs/sui,
 *   crates/sui-types/src/unit_tests/nitro_attestation_tests.rs (commit 11ec6cb4bcd4aa0138fe0d94304ce61cff9bced2),
 *   the hex literal of test `attestation_parse`.
 * - fixtures/base-2024-11-30.hex: github.com/base/nitro-validator, test/NitroValidator.t.sol
 *   (commit b4ba63fc6684e5f015b8b59b4b86a64200665238), the `attestation` literal of `test_DecodeAttestationTbs`.
 * - fixtures/base-2026-01-03.b64: github.com/base/nitro-validator, test/bench/RealAttestationBench.t.sol
 *   (commit 915fdb064ef0fc21300556b08a818ed39611b153), `_realAttestationB64()`; the published Base64 lost
 *   three bytes ("ic_" of "public_key"), repaired exactly as that file's `_repairMissingPublicKeyBytes()` does.
 *
 * The AWS root (src/x509/awsNitroRoot.ts) is the published AWS_NitroEnclaves_Root-G1 certificate,
 * SHA-256 fingerprint 641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B.
 */
import { createHash, X509Certificate } from "node:crypto";
import { decode, encode } from "cbor2";
import { describe, expect, it } from "vitest";
import {
  AttestationError,
  type AttestationErrorCode,
  AWS_NITRO_ROOT_PEM,
  AWS_NITRO_ROOT_SHA256,
  checkAttestationPolicy,
  DevRoot,
  encodeCoseSign1,
  NitroAttestationVerifier,
  parseAttestation,
  pcrSetOf,
} from "../src/index.js";
import {
  BASE_2024_11_30,
  BASE_2026_01_03,
  BASE_2026_01_03_AS_PUBLISHED,
  flipByte,
  indexOfBytes,
  REAL_DOCUMENTS,
  SUI_2024_11_14,
} from "./fixtures/realDocuments.js";

const verifier = new NitroAttestationVerifier();

function expectCode(fn: () => unknown, code: AttestationErrorCode): AttestationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe(code);
    return err as AttestationError;
  }
  throw new Error(`expected AttestationError ${code}, nothing was thrown`);
}

/** P-384 group order: (r, s) and (r, n − s) are both valid ECDSA signatures. */
const P384_N =
  0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;

describe("AWS Nitro root", () => {
  it("default: the pinned root has the published SHA-256 fingerprint and is cabundle[0] of every real document", () => {
    const root = new X509Certificate(AWS_NITRO_ROOT_PEM);
    expect(root.fingerprint256.replaceAll(":", "").toLowerCase()).toBe(AWS_NITRO_ROOT_SHA256);
    expect(AWS_NITRO_ROOT_SHA256).toBe(
      "641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B".toLowerCase(),
    );
    for (const doc of REAL_DOCUMENTS) {
      expect(Buffer.from(parseAttestation(doc.bytes).document.cabundle[0]!).equals(root.raw)).toBe(true);
    }
  });
});

describe.each(REAL_DOCUMENTS)("real document $name", (doc) => {
  it("default: verifies at its own timestamp to the AWS root", () => {
    const verified = verifier.verify(doc.bytes);
    expect(verified.document.moduleId).toBe(doc.moduleId);
    expect(verified.document.timestamp).toBe(doc.timestamp);
    expect(verified.document.digest).toBe("SHA384");
    expect(verified.document.cabundle).toHaveLength(4);
    expect(verified.document.pcrs.size).toBe(16);
    expect(verified.root).toMatchObject({ aws: true, fingerprint: AWS_NITRO_ROOT_SHA256 });
    expect(verified.cose.payload[0]).toBe(doc.indefiniteLengthMap ? 0xbf : 0xa9);
    expect(verified.attestationId).toBe(
      `0x${createHash("sha256").update(verified.cose.payload).digest("hex")}`,
    );
  });

  it("args: at — valid anywhere in the chain window, CERT_EXPIRED one millisecond outside it", () => {
    const { chainNotBefore, chainNotAfter } = verifier.verify(doc.bytes);
    expect(chainNotAfter - chainNotBefore).toBeLessThanOrEqual(3 * 60 * 60 * 1000 + 60_000); // the leaf lives ~3 h
    expect(() => verifier.verify(doc.bytes, { at: chainNotBefore })).not.toThrow();
    expect(() => verifier.verify(doc.bytes, { at: chainNotAfter })).not.toThrow();
    const after = expectCode(() => verifier.verify(doc.bytes, { at: chainNotAfter + 1 }), "CERT_EXPIRED");
    expect(after.shortMessage).toContain("certificate is expired");
    expectCode(() => verifier.verify(doc.bytes, { at: chainNotBefore - 1 }), "CERT_EXPIRED");
    expectCode(() => verifier.verify(doc.bytes, { at: Date.UTC(2049, 11, 1) }), "CERT_EXPIRED");
  });

  it("error: one flipped byte in the COSE signature is BAD_SIGNATURE", () => {
    expectCode(() => verifier.verify(flipByte(doc.bytes, doc.bytes.length - 1)), "BAD_SIGNATURE");
    expectCode(() => verifier.verify(flipByte(doc.bytes, doc.bytes.length - 96)), "BAD_SIGNATURE");
  });

  it("error: one flipped byte in the payload (module_id, a PCR, timestamp) is BAD_SIGNATURE", () => {
    const parsed = parseAttestation(doc.bytes);
    const moduleIdAt = indexOfBytes(doc.bytes, new TextEncoder().encode(doc.moduleId));
    const pcr = [...parsed.document.pcrs.values()].find((v) => v.some((b) => b !== 0))!;
    const pcrAt = indexOfBytes(doc.bytes, pcr);
    const timestampAt = indexOfBytes(doc.bytes, new TextEncoder().encode("timestamp")) + 9 + 8;
    for (const at of [moduleIdAt + 5, pcrAt + 7, timestampAt]) {
      expectCode(() => verifier.verify(flipByte(doc.bytes, at)), "BAD_SIGNATURE");
    }
  });

  it("error: one flipped byte in each certificate: UNTRUSTED_ROOT for the root, BAD_SIGNATURE for the others", () => {
    const { document } = parseAttestation(doc.bytes);
    const certs = [...document.cabundle, document.certificate];
    certs.forEach((der, i) => {
      const lastByte = indexOfBytes(doc.bytes, der) + der.length - 1; // inside the signature value
      expectCode(
        () => verifier.verify(flipByte(doc.bytes, lastByte)),
        i === 0 ? "UNTRUSTED_ROOT" : "BAD_SIGNATURE",
      );
    });
  });

  it("error: any single flipped byte inside a CA or leaf certificate is a typed AttestationError", () => {
    // Node and @peculiar parse public keys and extensions lazily; about one flip in ten used to
    // escape as their own untyped errors. Every 3rd byte of each non-root certificate.
    const { document } = parseAttestation(doc.bytes);
    for (const der of [...document.cabundle.slice(1), document.certificate]) {
      const start = indexOfBytes(doc.bytes, der);
      for (let i = 0; i < der.length; i += 3) {
        let thrown: unknown;
        try {
          verifier.verify(flipByte(doc.bytes, start + i));
        } catch (err) {
          thrown = err;
        }
        if (thrown !== undefined && !(thrown instanceof AttestationError)) {
          throw new Error(`byte ${i} of a certificate: untyped ${String(thrown)}`);
        }
      }
    }
  });

  it("error: a verifier that trusts another root (and not AWS) gives UNTRUSTED_ROOT", async () => {
    const devRoot = await DevRoot.generate();
    const devOnly = new NitroAttestationVerifier({
      trustAwsRoot: false,
      extraRoots: [devRoot.certificatePem],
    });
    expectCode(() => devOnly.verify(doc.bytes), "UNTRUSTED_ROOT");
  });

  it("behavior: a malleated signature (s → n − s) still verifies and keeps the attestation id", () => {
    const original = verifier.verify(doc.bytes);
    const bytes = new Uint8Array(doc.bytes);
    const sAt = bytes.length - 48;
    const s = BigInt(`0x${Buffer.from(bytes.subarray(sAt)).toString("hex")}`);
    bytes.set(Buffer.from((P384_N - s).toString(16).padStart(96, "0"), "hex"), sAt);
    expect(Buffer.from(bytes).equals(Buffer.from(doc.bytes))).toBe(false);
    expect(verifier.verify(bytes).attestationId).toBe(original.attestationId);
  });

  it("error: PCR allowlist without this image is PCR_MISMATCH; with it the policy passes", () => {
    const { document } = verifier.verify(doc.bytes);
    const other = { ...pcrSetOf(document), 0: `0x${"ab".repeat(48)}` } as const;
    const base = { allowDebug: true, now: doc.timestamp, maxAgeMs: 60_000 };
    expectCode(() => checkAttestationPolicy(document, { ...base, pcrAllowlist: [other] }), "PCR_MISMATCH");
    expect(() =>
      checkAttestationPolicy(document, { ...base, pcrAllowlist: [other, pcrSetOf(document)] }),
    ).not.toThrow();
  });

  it("error: freshness: STALE once older than maxAgeMs, or dated beyond the skew", () => {
    const { document } = verifier.verify(doc.bytes);
    const policy = { allowDebug: true, maxAgeMs: 5 * 60_000 };
    expect(() =>
      checkAttestationPolicy(document, { ...policy, now: doc.timestamp + 5 * 60_000 }),
    ).not.toThrow();
    expectCode(
      () => checkAttestationPolicy(document, { ...policy, now: doc.timestamp + 5 * 60_000 + 1 }),
      "STALE",
    );
    expectCode(() => checkAttestationPolicy(document, { ...policy, now: doc.timestamp - 60_001 }), "STALE");
  });
});

describe("real documents, field by field", () => {
  it("error: user_data mismatch is BINDING_MISMATCH (Sui document carries 32 bytes of user_data)", () => {
    const { document } = verifier.verify(SUI_2024_11_14.bytes);
    expect(document.userData).toHaveLength(32);
    expect(() =>
      checkAttestationPolicy(document, { allowDebug: true, userData: document.userData! }),
    ).not.toThrow();
    expectCode(
      () => checkAttestationPolicy(document, { allowDebug: true, userData: `0x${"00".repeat(32)}` }),
      "BINDING_MISMATCH",
    );
    expectCode(() => checkAttestationPolicy(document, { allowDebug: true, nonce: "0x01" }), "NONCE_MISMATCH");
  });

  it("error: a debug-mode enclave (Sui document: PCR0..2 zero) is DEBUG_ENCLAVE unless allowed", () => {
    const { document } = verifier.verify(SUI_2024_11_14.bytes);
    expectCode(() => checkAttestationPolicy(document, {}), "DEBUG_ENCLAVE");
    expect(() => checkAttestationPolicy(document, { allowDebug: true })).not.toThrow();
    expect(() => checkAttestationPolicy(verifier.verify(BASE_2024_11_30.bytes).document, {})).not.toThrow();
  });

  it("default: public_key and user_data reach the document (Base 2024 key, Base 2026 user_data)", () => {
    expect(verifier.verify(BASE_2024_11_30.bytes).document.publicKey).toHaveLength(65);
    const { document } = verifier.verify(BASE_2026_01_03.bytes);
    expect(document.publicKey).toBeUndefined();
    expect(document.userData).toHaveLength(20);
    expect(document.nonce).toBeUndefined();
  });

  it("behavior: the 2026 indefinite-length payload is hashed as sent: re-encoding it (definite map) breaks the signature", () => {
    const { cose } = parseAttestation(BASE_2026_01_03.bytes);
    const reencoded = encode(decode(cose.payload, { preferMap: true }));
    expect(reencoded[0]).toBe(0xa9);
    const forged = encodeCoseSign1({ ...cose, payload: reencoded });
    expect(parseAttestation(forged).document.moduleId).toBe(BASE_2026_01_03.moduleId);
    expectCode(() => verifier.verify(forged), "BAD_SIGNATURE");
  });

  it("error: the 2026 document exactly as published (three bytes lost) is BAD_CBOR", () => {
    expectCode(() => verifier.verify(BASE_2026_01_03_AS_PUBLISHED), "BAD_CBOR");
  });

  it("behavior: the certificate chain is verified once and then served from the cache", () => {
    const fresh = new NitroAttestationVerifier();
    fresh.verify(BASE_2024_11_30.bytes);
    fresh.verify(BASE_2024_11_30.bytes);
    expect(fresh.chainCacheStats).toMatchObject({ hits: 1, misses: 1, size: 1 });
    const uncached = new NitroAttestationVerifier({ chainCacheSize: 0 });
    uncached.verify(BASE_2024_11_30.bytes);
    expect(uncached.chainCacheStats.size).toBe(0);
  });
});
