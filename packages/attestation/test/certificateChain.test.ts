import { describe, expect, it } from "vitest";
import { AttestationError, type AttestationErrorCode, NitroAttestationVerifier } from "../src/index.js";
import { x509 } from "../src/x509/peculiar.js";
import { goodChain, makeCert, signedDocument } from "./helpers/customChain.js";

const HOUR = 3_600_000;

function verifierFor(root: { certificate: { toString(format: "pem"): string } }): NitroAttestationVerifier {
  return new NitroAttestationVerifier({
    trustAwsRoot: false,
    extraRoots: [root.certificate.toString("pem")],
  });
}

function expectCode(fn: () => unknown, code: AttestationErrorCode, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe(code);
    if (message) expect((err as AttestationError).shortMessage).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("certificate chain checks", () => {
  it("default: root → intermediate (pathLen 0) → leaf verifies", async () => {
    const { root, intermediate, leaf } = await goodChain();
    expect(verifierFor(root).verify(signedDocument(leaf, [root, intermediate])).root.aws).toBe(false);
  });

  it("error: bundle not starting with the pinned root (reordered, root left out) is UNTRUSTED_ROOT", async () => {
    const { root, intermediate, leaf } = await goodChain();
    const verifier = verifierFor(root);
    expectCode(() => verifier.verify(signedDocument(leaf, [intermediate, root])), "UNTRUSTED_ROOT");
    expectCode(() => verifier.verify(signedDocument(leaf, [intermediate])), "UNTRUSTED_ROOT");
  });

  it("error: a leaf that is a CA, or lacks digitalSignature, is BAD_CERTIFICATE", async () => {
    const { root, intermediate } = await goodChain();
    const caLeaf = await makeCert({ subject: "CN=ca-leaf", issuer: intermediate, ca: true });
    expectCode(
      () => verifierFor(root).verify(signedDocument(caLeaf, [root, intermediate])),
      "BAD_CERTIFICATE",
      /CA/,
    );
    const noSign = await makeCert({
      subject: "CN=leaf",
      issuer: intermediate,
      usages: x509.KeyUsageFlags.keyAgreement,
    });
    expectCode(
      () => verifierFor(root).verify(signedDocument(noSign, [root, intermediate])),
      "BAD_CERTIFICATE",
      /digital/,
    );
    const noUsage = await makeCert({ subject: "CN=leaf", issuer: intermediate, usages: null });
    expectCode(
      () => verifierFor(root).verify(signedDocument(noUsage, [root, intermediate])),
      "BAD_CERTIFICATE",
    );
  });

  it("error: an intermediate without cA, without keyCertSign, or beyond pathLen is BAD_CERTIFICATE", async () => {
    const root = await makeCert({ subject: "CN=root", ca: true });
    const notCa = await makeCert({
      subject: "CN=int",
      issuer: root,
      ca: false,
      usages: x509.KeyUsageFlags.keyCertSign,
    });
    const leaf1 = await makeCert({ subject: "CN=leaf", issuer: notCa });
    expectCode(() => verifierFor(root).verify(signedDocument(leaf1, [root, notCa])), "BAD_CERTIFICATE");

    const noCertSign = await makeCert({
      subject: "CN=int",
      issuer: root,
      ca: true,
      usages: x509.KeyUsageFlags.cRLSign,
    });
    const leaf2 = await makeCert({ subject: "CN=leaf", issuer: noCertSign });
    expectCode(() => verifierFor(root).verify(signedDocument(leaf2, [root, noCertSign])), "BAD_CERTIFICATE");

    const int1 = await makeCert({ subject: "CN=int1", issuer: root, ca: true, pathLength: 0 });
    const int2 = await makeCert({ subject: "CN=int2", issuer: int1, ca: true });
    const leaf3 = await makeCert({ subject: "CN=leaf", issuer: int2 });
    expectCode(
      () => verifierFor(root).verify(signedDocument(leaf3, [root, int1, int2])),
      "BAD_CERTIFICATE",
      /allows 0/,
    );
  });

  it("error: an unknown critical extension is BAD_CERTIFICATE; an unknown non-critical one is fine", async () => {
    const { root, intermediate } = await goodChain();
    const critical = new x509.Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([0x05, 0x00]));
    const nonCritical = new x509.Extension("1.3.6.1.4.1.99999.1", false, new Uint8Array([0x05, 0x00]));
    const bad = await makeCert({ subject: "CN=leaf", issuer: intermediate, extraExtensions: [critical] });
    expectCode(
      () => verifierFor(root).verify(signedDocument(bad, [root, intermediate])),
      "BAD_CERTIFICATE",
      /critical/,
    );
    const ok = await makeCert({ subject: "CN=leaf", issuer: intermediate, extraExtensions: [nonCritical] });
    expect(() => verifierFor(root).verify(signedDocument(ok, [root, intermediate]))).not.toThrow();
  });

  it("error: a P-256 key or an ecdsa-with-SHA256 signature is BAD_CERTIFICATE", async () => {
    const { root, intermediate } = await goodChain();
    const sha256 = await makeCert({ subject: "CN=leaf", issuer: intermediate, hash: "SHA-256" });
    expectCode(
      () => verifierFor(root).verify(signedDocument(sha256, [root, intermediate])),
      "BAD_CERTIFICATE",
      /SHA384/,
    );
    const p256Int = await makeCert({ subject: "CN=int", issuer: root, ca: true, curve: "P-256" });
    const leaf = await makeCert({ subject: "CN=leaf", issuer: p256Int });
    expectCode(
      () => verifierFor(root).verify(signedDocument(leaf, [root, p256Int])),
      "BAD_CERTIFICATE",
      /P-384/,
    );
  });

  it("error: a wrong issuer name is BAD_CERTIFICATE; a right name signed by another key is BAD_SIGNATURE", async () => {
    const { root, intermediate } = await goodChain();
    const misnamed = await makeCert({
      subject: "CN=leaf",
      issuer: intermediate,
      issuerName: "CN=someone-else",
    });
    expectCode(
      () => verifierFor(root).verify(signedDocument(misnamed, [root, intermediate])),
      "BAD_CERTIFICATE",
      /issued/,
    );
    const impostor = await makeCert({ subject: "CN=impostor", ca: true });
    const forged = await makeCert({
      subject: "CN=leaf",
      issuer: intermediate,
      signWith: impostor.keys,
      noAuthorityKeyId: true,
    });
    expectCode(() => verifierFor(root).verify(signedDocument(forged, [root, intermediate])), "BAD_SIGNATURE");
  });

  it("error: an intermediate expired at the document's time is CERT_EXPIRED naming it", async () => {
    const root = await makeCert({ subject: "CN=root", ca: true, notBefore: Date.now() - 48 * HOUR });
    const old = await makeCert({
      subject: "CN=int",
      issuer: root,
      ca: true,
      notBefore: Date.now() - 48 * HOUR,
      notAfter: Date.now() - 24 * HOUR,
    });
    const leaf = await makeCert({ subject: "CN=leaf", issuer: old });
    expectCode(
      () => verifierFor(root).verify(signedDocument(leaf, [root, old])),
      "CERT_EXPIRED",
      /cabundle\[1\] is expired/,
    );
  });
});
