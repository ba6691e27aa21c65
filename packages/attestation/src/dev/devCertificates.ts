import { KeyObject, webcrypto } from "node:crypto";
import { x509 } from "../x509/peculiar.js";

/** ECDSA P-384 with SHA-384: the Nitro PKI's only algorithm, used for every dev certificate too. */
export const P384_KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-384" } as const;
export const ES384_SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-384" } as const;

const subtle = webcrypto.subtle;
const provider: webcrypto.Crypto = webcrypto;

/** A certificate with its key pair (the private key is what signs the next certificate or document). */
export type IssuedCertificate = {
  certificate: InstanceType<typeof x509.X509Certificate>;
  der: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
  /** The private key as a node KeyObject, for `crypto.sign`. */
  signingKey: KeyObject;
  notBefore: number;
  notAfter: number;
};

export async function generateP384KeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await subtle.generateKey(P384_KEY_ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/** A self-signed CA like the AWS root: basicConstraints cA (critical), keyCertSign|cRLSign|digitalSignature. */
export async function createRootCertificate(params: {
  subject: string;
  keys: webcrypto.CryptoKeyPair;
  notBefore: number;
  notAfter: number;
}): Promise<IssuedCertificate> {
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: params.subject,
      keys: params.keys,
      notBefore: new Date(params.notBefore),
      notAfter: new Date(params.notAfter),
      signingAlgorithm: ES384_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(params.keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return issued(certificate, params.keys);
}

/**
 * A certificate signed by `issuer`: a CA (with `pathLength`) when `ca` is set, otherwise a
 * document-signing leaf like the NSM's (cA false, digitalSignature|nonRepudiation).
 */
export async function issueCertificate(params: {
  issuer: IssuedCertificate;
  subject: string;
  keys: webcrypto.CryptoKeyPair;
  notBefore: number;
  notAfter: number;
  ca?: { pathLength: number };
}): Promise<IssuedCertificate> {
  const { issuer, ca } = params;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      subject: params.subject,
      issuer: issuer.certificate.subject,
      publicKey: params.keys.publicKey,
      signingKey: issuer.keys.privateKey,
      notBefore: new Date(params.notBefore),
      notAfter: new Date(params.notAfter),
      signingAlgorithm: ES384_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(ca !== undefined, ca?.pathLength, true),
        new x509.KeyUsagesExtension(ca ? CA_USAGES : LEAF_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(params.keys.publicKey, false, provider),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return issued(certificate, params.keys);
}

const CA_USAGES =
  x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;
const LEAF_USAGES = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation;

function issued(
  certificate: InstanceType<typeof x509.X509Certificate>,
  keys: webcrypto.CryptoKeyPair,
): IssuedCertificate {
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    signingKey: KeyObject.from(keys.privateKey),
    notBefore: certificate.notBefore.getTime(),
    notAfter: certificate.notAfter.getTime(),
  };
}

/** Certificates carry whole seconds: round a time down so a certificate never starts later than asked. */
export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
