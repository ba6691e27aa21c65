import { verify as cryptoVerify } from "node:crypto";
import { coseSign1ToBeSigned } from "../cose/CoseSign1.js";
import { DEFAULT_NITRO_LIMITS, type NitroLimits } from "../document/NitroDocument.js";
import { type ParsedAttestation, parseAttestation } from "../document/parseAttestation.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { AttestationError } from "../errors/AttestationError.js";
import { CachedChainVerifier } from "../x509/CachedChainVerifier.js";
import { type RootSource, type TrustedRoot, TrustedRoots } from "../x509/TrustedRoots.js";
import { checkChainValidity } from "../x509/verifyCertificateChain.js";

export type NitroAttestationVerifierOptions = {
  /** Trust the published AWS Nitro root. Default true. */
  trustAwsRoot: boolean;
  /** More pinned roots (PEM or DER): another AWS partition, or the dev root on a devnet only. */
  extraRoots: readonly RootSource[];
  /** Verified chains kept (LRU); 0 verifies every chain in full. */
  chainCacheSize: number;
  limits: NitroLimits;
};

/** Production defaults: the AWS root only, a 1024-chain cache, the default size limits. */
export const defaultNitroAttestationVerifierOptions: NitroAttestationVerifierOptions = {
  trustAwsRoot: true,
  extraRoots: [],
  chainCacheSize: 1024,
  limits: DEFAULT_NITRO_LIMITS,
};

export type VerifyAttestationOptions = {
  /**
   * The time (ms since the epoch) at which every certificate must be valid. Defaults to the
   * document's own timestamp: a leaf lives about three hours, so "now" would reject any document
   * older than that. Freshness is a separate policy check (`checkAttestationPolicy`).
   */
  at?: number;
};

/** A document whose COSE signature verified under a certificate chain to a pinned root. */
export type VerifiedAttestation = ParsedAttestation & {
  root: Pick<TrustedRoot, "fingerprint" | "aws" | "subject">;
  /** Intersection of the chain's validity windows (ms since the epoch). */
  chainNotBefore: number;
  chainNotAfter: number;
};

/**
 * Verifies Nitro attestation documents: structure, certificate chain to a pinned root, each
 * certificate's validity at the document's timestamp (or a supplied clock), then the COSE ES384
 * signature with the leaf key over the original protected-header and payload bytes.
 * Policy (PCRs, freshness, nonce, binding) is `checkAttestationPolicy`, kept separate.
 */
export class NitroAttestationVerifier {
  readonly options: NitroAttestationVerifierOptions;
  readonly roots: TrustedRoots;
  readonly #chains: CachedChainVerifier;

  constructor(options: Partial<NitroAttestationVerifierOptions> = {}) {
    this.options = { ...defaultNitroAttestationVerifierOptions, ...options };
    const { chainCacheSize } = this.options;
    if (!Number.isSafeInteger(chainCacheSize) || chainCacheSize < 0) {
      throw new AttestationConfigError("BAD_OPTIONS", "chainCacheSize must be a non-negative integer.");
    }
    this.roots = new TrustedRoots({
      trustAwsRoot: this.options.trustAwsRoot,
      extraRoots: this.options.extraRoots,
    });
    this.#chains = new CachedChainVerifier(this.roots, chainCacheSize);
  }

  /** Parses and verifies; throws AttestationError with a bounded code on any failure. */
  verify(bytes: Uint8Array, options: VerifyAttestationOptions = {}): VerifiedAttestation {
    return this.verifyParsed(parseAttestation(bytes, this.options.limits), options);
  }

  /** Verifies an already parsed document (lets callers look up `attestationId` first). */
  verifyParsed(parsed: ParsedAttestation, options: VerifyAttestationOptions = {}): VerifiedAttestation {
    const { cose, document } = parsed;
    const chain = this.#chains.verify(document.certificate, document.cabundle);
    checkChainValidity(chain, options.at ?? document.timestamp);
    const signed = coseSign1ToBeSigned(cose.protectedHeader, cose.payload);
    const ok = cryptoVerify(
      "sha384",
      signed,
      { key: chain.leafKey, dsaEncoding: "ieee-p1363" },
      cose.signature,
    );
    if (!ok) {
      throw new AttestationError(
        "BAD_SIGNATURE",
        "The attestation document's COSE signature does not verify.",
        {
          details: `module ${document.moduleId}, attestation ${parsed.attestationId}`,
        },
      );
    }
    const { fingerprint, aws, subject } = chain.root;
    return {
      ...parsed,
      root: { fingerprint, aws, subject },
      chainNotBefore: chain.notBefore,
      chainNotAfter: chain.notAfter,
    };
  }

  /** Forgets every cached chain (e.g. to measure uncached verification). */
  clearChainCache(): void {
    this.#chains.clear();
  }

  get chainCacheStats(): { hits: number; misses: number; size: number } {
    return this.#chains.stats;
  }
}
