import { KeyObject, sign, webcrypto } from "node:crypto";
import { coseSign1ToBeSigned, ES384_PROTECTED_HEADER, encodeCoseSign1 } from "../../src/cose/CoseSign1.js";
import {
  ES384_SIGNING_ALGORITHM,
  generateP384KeyPair,
  type IssuedCertificate,
} from "../../src/dev/devCertificates.js";
import { encodeNitroDocument } from "../../src/document/encodeNitroDocument.js";
import type { NitroDocument } from "../../src/document/NitroDocument.js";
import { devEnclavePcrs } from "../../src/index.js";
import { x509 } from "../../src/x509/peculiar.js";

/** Test-only certificate factory: any constraints, usages, curve or hash, to build bad chains. */
export type CertSpec = {
  subject: string;
  /** Issuer; omit for a self-signed certificate. */
  issuer?: IssuedCertificate;
  /** Name written as issuer (default: the issuer's subject). */
  issuerName?: string;
  ca?: boolean;
  pathLength?: number;
  /** KeyUsage flags; `null` leaves the extension out. */
  usages?: number | null;
  curve?: "P-384" | "P-256";
  hash?: "SHA-384" | "SHA-256";
  notBefore?: number;
  notAfter?: number;
  extraExtensions?: InstanceType<typeof x509.Extension>[];
  /** Leave out the authority key identifier. */
  noAuthorityKeyId?: boolean;
  /** Sign with this key pair instead of the issuer's. */
  signWith?: webcrypto.CryptoKeyPair;
};

const HOUR = 3_600_000;

export async function makeCert(spec: CertSpec): Promise<IssuedCertificate> {
  const keys =
    spec.curve === "P-256"
      ? ((await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
          "sign",
          "verify",
        ])) as webcrypto.CryptoKeyPair)
      : await generateP384KeyPair();
  const signer = spec.signWith ?? spec.issuer?.keys ?? keys;
  const notBefore = spec.notBefore ?? Date.now() - HOUR;
  const notAfter = spec.notAfter ?? Date.now() + 24 * HOUR;
  const ca = spec.ca ?? false;
  const usages =
    spec.usages === undefined
      ? ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : spec.usages;
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(ca, spec.pathLength, true),
    ...(usages === null ? [] : [new x509.KeyUsagesExtension(usages, true)]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
    ...(spec.issuer && !spec.noAuthorityKeyId
      ? [await x509.AuthorityKeyIdentifierExtension.create(spec.issuer.keys.publicKey, false, webcrypto)]
      : []),
    ...(spec.extraExtensions ?? []),
  ];
  const certificate = await x509.X509CertificateGenerator.create(
    {
      subject: spec.subject,
      issuer: spec.issuerName ?? spec.issuer?.certificate.subject ?? spec.subject,
      publicKey: keys.publicKey,
      signingKey: signer.privateKey,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: { ...ES384_SIGNING_ALGORITHM, hash: spec.hash ?? "SHA-384" },
      extensions,
    },
    webcrypto,
  );
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    signingKey: KeyObject.from(keys.privateKey),
    notBefore: certificate.notBefore.getTime(),
    notAfter: certificate.notAfter.getTime(),
  };
}

/** A good root → intermediate → leaf chain, as the dev enclave builds it. */
export async function goodChain(): Promise<{
  root: IssuedCertificate;
  intermediate: IssuedCertificate;
  leaf: IssuedCertificate;
}> {
  const root = await makeCert({ subject: "CN=test-root", ca: true });
  const intermediate = await makeCert({
    subject: "CN=test-intermediate",
    issuer: root,
    ca: true,
    pathLength: 0,
  });
  const leaf = await makeCert({ subject: "CN=test-leaf", issuer: intermediate });
  return { root, intermediate, leaf };
}

/** A document signed by `leaf` (ES384 over the COSE Sig_structure) with this bundle. */
export function signedDocument(
  leaf: IssuedCertificate,
  cabundle: readonly IssuedCertificate[],
  fields: Partial<NitroDocument> = {},
): Uint8Array {
  const payload = encodeNitroDocument({
    moduleId: "i-0123456789abcdef0-enc0123456789abcdef",
    digest: "SHA384",
    timestamp: Date.now(),
    pcrs: devEnclavePcrs("custom-chain"),
    certificate: leaf.der,
    cabundle: cabundle.map((c) => c.der),
    publicKey: undefined,
    userData: undefined,
    nonce: undefined,
    ...fields,
  });
  const signature = sign("sha384", coseSign1ToBeSigned(ES384_PROTECTED_HEADER, payload), {
    key: leaf.signingKey,
    dsaEncoding: "ieee-p1363",
  });
  return encodeCoseSign1({
    protectedHeader: ES384_PROTECTED_HEADER,
    payload,
    signature: new Uint8Array(signature),
  });
}
