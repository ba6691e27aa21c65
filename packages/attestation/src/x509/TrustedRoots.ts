import { createHash, X509Certificate } from "node:crypto";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./awsNitroRoot.js";

/** A root certificate: PEM text (one or more certificates) or the DER bytes of one. */
export type RootSource = string | Uint8Array;

/** A pinned root, identified by the SHA-256 fingerprint of its DER. */
export type TrustedRoot = {
  /** SHA-256 of the DER, lowercase hex without separators. */
  fingerprint: string;
  /** True for the published AWS Nitro root; false for roots added by configuration (e.g. the dev root). */
  aws: boolean;
  subject: string;
  der: Uint8Array;
  certificate: X509Certificate;
};

export type TrustedRootsOptions = {
  /** Trust the published AWS Nitro root (default true; production never turns it off). */
  trustAwsRoot?: boolean;
  /** More roots, e.g. another AWS partition or the devnet's development root. */
  extraRoots?: readonly RootSource[];
};

/** The set of roots a verifier accepts as `cabundle[0]`, matched by exact DER bytes. */
export class TrustedRoots {
  readonly #byFingerprint = new Map<string, TrustedRoot>();

  constructor(options: TrustedRootsOptions = {}) {
    if (options.trustAwsRoot ?? true) this.#add(AWS_NITRO_ROOT_PEM, true);
    for (const source of options.extraRoots ?? []) this.#add(source, false);
    if (this.#byFingerprint.size === 0) {
      throw new AttestationConfigError("BAD_OPTIONS", "No trusted root: enable the AWS root or add one.");
    }
  }

  get(fingerprint: string): TrustedRoot | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  list(): TrustedRoot[] {
    return [...this.#byFingerprint.values()];
  }

  #add(source: RootSource, aws: boolean): void {
    for (const der of splitRootSource(source)) {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(der);
      } catch (cause) {
        throw new AttestationConfigError("BAD_ROOT", "A configured root is not an X.509 certificate.", {
          cause,
        });
      }
      const details = certificate.publicKey.asymmetricKeyDetails;
      if (
        !certificate.ca ||
        certificate.publicKey.asymmetricKeyType !== "ec" ||
        details?.namedCurve !== "secp384r1"
      ) {
        throw new AttestationConfigError("BAD_ROOT", "A configured root must be a P-384 CA certificate.", {
          details: certificate.subject,
        });
      }
      const fingerprint = certificateFingerprint(der);
      if (aws && fingerprint !== AWS_NITRO_ROOT_SHA256) {
        throw new AttestationConfigError(
          "BAD_ROOT",
          "The built-in AWS root does not match its pinned fingerprint.",
        );
      }
      this.#byFingerprint.set(fingerprint, {
        fingerprint,
        aws,
        subject: certificate.subject,
        der,
        certificate,
      });
    }
  }
}

/** SHA-256 of a DER certificate, lowercase hex (compare with `openssl x509 -fingerprint -sha256`). */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** DER bytes of every certificate in a PEM string, or the DER itself. */
export function splitRootSource(source: RootSource): Uint8Array[] {
  if (source instanceof Uint8Array) return [source];
  const ders = [...source.matchAll(PEM_BLOCK)].map(
    (m) => new Uint8Array(Buffer.from((m[1] ?? "").replace(/\s+/g, ""), "base64")),
  );
  if (ders.length === 0) {
    throw new AttestationConfigError("BAD_ROOT", "A configured root PEM holds no CERTIFICATE block.");
  }
  return ders;
}
