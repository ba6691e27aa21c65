import { type KeyObject, X509Certificate } from "node:crypto";
import { AttestationError } from "../errors/AttestationError.js";
import { x509 } from "./peculiar.js";
import { certificateFingerprint, type TrustedRoot, type TrustedRoots } from "./TrustedRoots.js";

/** ecdsa-with-SHA384 (RFC 5758): the only signature algorithm of the Nitro PKI. */
export const ECDSA_WITH_SHA384_OID = "1.2.840.10045.4.3.3";
/** Extensions this verifier understands; any other extension marked critical fails the chain. */
const KNOWN_CRITICAL = new Set(["2.5.29.19" /* basicConstraints */, "2.5.29.15" /* keyUsage */]);

/** Validity window of one certificate, milliseconds since the epoch. */
export type CertificateValidity = { position: string; subject: string; notBefore: number; notAfter: number };

/**
 * A certificate chain whose structure and signatures verified; time is checked separately
 * (`checkChainValidity`), so the same verified chain can be reused at any time.
 */
export type VerifiedChain = {
  /** The leaf's P-384 public key: the key the COSE signature must verify under. */
  leafKey: KeyObject;
  root: TrustedRoot;
  /** Root first, leaf last. */
  certificates: readonly CertificateValidity[];
  /** Intersection of all validity windows. */
  notBefore: number;
  notAfter: number;
};

/**
 * Verifies `[leaf, cabundle[n-1], …, cabundle[0]]` against the pinned roots (AWS "attestation
 * process" §3.2.3): `cabundle[0]` is byte-identical to a pinned root; every certificate is an
 * ECDSA P-384 key signed with ecdsa-with-SHA384 by the previous one, with matching issuer name;
 * CA certificates have basicConstraints cA, keyCertSign and a respected pathLenConstraint; the
 * leaf is no CA and has digitalSignature; no unknown critical extension anywhere.
 * Throws UNTRUSTED_ROOT, BAD_CERTIFICATE or BAD_SIGNATURE.
 */
export function verifyCertificateChain(
  leaf: Uint8Array,
  cabundle: readonly Uint8Array[],
  roots: TrustedRoots,
): VerifiedChain {
  const rootDer = cabundle[0];
  const root = rootDer === undefined ? undefined : roots.get(certificateFingerprint(rootDer));
  if (root === undefined) {
    throw new AttestationError(
      "UNTRUSTED_ROOT",
      "The document's CA bundle does not start with a pinned root.",
      {
        details:
          rootDer === undefined ? "empty cabundle" : `cabundle[0] sha256 ${certificateFingerprint(rootDer)}`,
      },
    );
  }
  const ders = [...cabundle, leaf];
  const positions = ders.map((_, i) => (i === ders.length - 1 ? "certificate" : `cabundle[${i}]`));
  const certs = ders.map((der, i) => parseCertificate(der, positions[i]!));
  const caCount = cabundle.length;

  for (let i = 0; i < certs.length; i++) {
    asBadCertificate(positions[i]!, () => checkCertificate(certs, i, positions[i]!, caCount));
  }

  const certificates = certs.map(({ node }, i) => ({
    position: positions[i]!,
    subject: oneLine(node.subject),
    notBefore: node.validFromDate.getTime(),
    notAfter: node.validToDate.getTime(),
  }));
  return {
    leafKey: certs[certs.length - 1]!.node.publicKey,
    root,
    certificates,
    notBefore: Math.max(...certificates.map((c) => c.notBefore)),
    notAfter: Math.min(...certificates.map((c) => c.notAfter)),
  };
}

/**
 * Node and @peculiar parse a certificate's public key and extensions lazily, on first access; a
 * corrupt one throws their own untyped errors there. Any error that is not already an
 * AttestationError becomes BAD_CERTIFICATE naming the certificate.
 */
function asBadCertificate<T>(position: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof AttestationError) throw cause;
    throw new AttestationError("BAD_CERTIFICATE", `${position} has a field that does not parse.`, {
      details: cause instanceof Error ? cause.message : String(cause),
      cause,
    });
  }
}

/** One certificate's algorithms, extensions, usages and its issuer's signature over it. */
function checkCertificate(
  certs: readonly ParsedCertificate[],
  i: number,
  position: string,
  caCount: number,
): void {
  const { node, peculiar } = certs[i]!;
  checkAlgorithms(node, position);
  checkCriticalExtensions(peculiar, position);
  if (i === certs.length - 1) checkLeafUsage(peculiar, position);
  else checkCaUsage(peculiar, position, caCount - 1 - i);
  if (i === 0) return;
  const issuer = certs[i - 1]!.node;
  if (!node.checkIssued(issuer)) {
    throw new AttestationError(
      "BAD_CERTIFICATE",
      `${position} was not issued by the certificate before it.`,
      {
        details: `issuer "${oneLine(node.issuer)}", previous subject "${oneLine(issuer.subject)}"`,
      },
    );
  }
  if (!node.verify(issuer.publicKey)) {
    throw new AttestationError("BAD_SIGNATURE", `The signature of ${position} does not verify.`, {
      details: `subject "${oneLine(node.subject)}"`,
    });
  }
}

/** Throws CERT_EXPIRED naming the first certificate not valid at `at` (ms since the epoch). */
export function checkChainValidity(chain: VerifiedChain, at: number): void {
  if (at >= chain.notBefore && at <= chain.notAfter) return;
  const cert = chain.certificates.find((c) => at < c.notBefore || at > c.notAfter)!;
  const expired = at > cert.notAfter;
  throw new AttestationError(
    "CERT_EXPIRED",
    `${cert.position} is ${expired ? "expired" : "not yet valid"} at ${new Date(at).toISOString()}.`,
    {
      details: `"${cert.subject}" is valid from ${new Date(cert.notBefore).toISOString()} to ${new Date(cert.notAfter).toISOString()}`,
    },
  );
}

type ParsedCertificate = { node: X509Certificate; peculiar: InstanceType<typeof x509.X509Certificate> };

function parseCertificate(der: Uint8Array, position: string): ParsedCertificate {
  try {
    return { node: new X509Certificate(der), peculiar: new x509.X509Certificate(der) };
  } catch (cause) {
    throw new AttestationError("BAD_CERTIFICATE", `${position} is not a DER X.509 certificate.`, { cause });
  }
}

function checkAlgorithms(cert: X509Certificate, position: string): void {
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "secp384r1") {
    throw new AttestationError("BAD_CERTIFICATE", `${position} does not hold an ECDSA P-384 key.`);
  }
  if (cert.signatureAlgorithmOid !== ECDSA_WITH_SHA384_OID) {
    throw new AttestationError("BAD_CERTIFICATE", `${position} is not signed with ecdsa-with-SHA384.`, {
      details: `signature algorithm ${cert.signatureAlgorithmOid}`,
    });
  }
}

function checkCriticalExtensions(cert: ParsedCertificate["peculiar"], position: string): void {
  for (const ext of cert.extensions) {
    if (ext.critical && !KNOWN_CRITICAL.has(ext.type)) {
      throw new AttestationError("BAD_CERTIFICATE", `${position} has an unknown critical extension.`, {
        details: ext.type,
      });
    }
  }
}

/** `casBelow`: CA certificates that follow this one in the path (the leaf excluded). */
function checkCaUsage(cert: ParsedCertificate["peculiar"], position: string, casBelow: number): void {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) {
    throw new AttestationError("BAD_CERTIFICATE", `${position} is not a CA certificate (basicConstraints).`);
  }
  if (bc.pathLength !== undefined && casBelow > bc.pathLength) {
    throw new AttestationError(
      "BAD_CERTIFICATE",
      `${position} allows ${bc.pathLength} CAs below it; got ${casBelow}.`,
    );
  }
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (!ku || (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new AttestationError("BAD_CERTIFICATE", `${position} may not sign certificates (keyUsage).`);
  }
}

function checkLeafUsage(cert: ParsedCertificate["peculiar"], position: string): void {
  if (cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new AttestationError(
      "BAD_CERTIFICATE",
      `${position} is a CA certificate; a document signer must not be.`,
    );
  }
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (!ku || (ku.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new AttestationError("BAD_CERTIFICATE", `${position} may not make digital signatures (keyUsage).`);
  }
}

function oneLine(name: string): string {
  return name.split("\n").join(", ");
}
