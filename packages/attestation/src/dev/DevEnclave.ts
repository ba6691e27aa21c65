import { createHash, randomBytes, sign } from "node:crypto";
import { coseSign1ToBeSigned, ES384_PROTECTED_HEADER, encodeCoseSign1 } from "../cose/CoseSign1.js";
import { encodeNitroDocument } from "../document/encodeNitroDocument.js";
import { NITRO_DIGEST, PCR_BYTES } from "../document/NitroDocument.js";
import type { AttestOptions, EnclaveProvider } from "../enclave/EnclaveProvider.js";
import { NSM_USER_FIELD_MAX_BYTES } from "../enclave/EnclaveProvider.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { type PcrSet, pcrSetOf } from "../policy/PcrAllowlist.js";
import { DevRoot } from "./DevRoot.js";
import {
  floorToSecond,
  generateP384KeyPair,
  type IssuedCertificate,
  issueCertificate,
} from "./devCertificates.js";

export type DevEnclaveOptions = {
  /** The root to chain to. Default: a fresh in-memory root (verifiers then need `enclave.root.certificatePem`). */
  root: DevRoot;
  /** `module_id`. Default: `i-<16 hex>-enc<16 hex>`, the shape of a real one. */
  moduleId: string;
  /** Image name the default PCRs derive from; two enclaves with the same name measure the same. */
  imageId: string;
  /** Explicit PCR values (index → 48 bytes); default `devEnclavePcrs(imageId)`. */
  pcrs: ReadonlyMap<number, Uint8Array>;
  /** Leaf certificate lifetime, as the NSM's (about three hours). */
  leafLifetimeMs: number;
  /** Clock, ms since the epoch. */
  now: () => number;
};

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Certificates start slightly in the past to tolerate clock skew between processes. */
const BACKDATE_MS = 60_000;

export const defaultDevEnclaveOptions = {
  imageId: "opg-dev-enclave",
  leafLifetimeMs: 3 * HOUR_MS,
  now: Date.now,
} as const;

/**
 * A development enclave: emits attestation documents in exactly the Nitro format (COSE_Sign1,
 * ES384, indefinite-length payload map, 16 SHA-384 PCRs, leaf + `[root, intermediate]` bundle)
 * under its own P-384 PKI: the dev root, an intermediate (pathLen 0) and a leaf renewed before it
 * expires. Verifiers run the same code as for real documents and accept them only when the dev
 * root is configured (`extraRoots`). It proves nothing about the code that runs: devnet only.
 */
export class DevEnclave implements EnclaveProvider {
  readonly root: DevRoot;
  readonly moduleId: string;
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  readonly #leafLifetimeMs: number;
  readonly #now: () => number;
  #intermediate: IssuedCertificate | undefined;
  #leaf: IssuedCertificate | undefined;
  #renewing: Promise<void> | undefined;

  private constructor(options: DevEnclaveOptions) {
    this.root = options.root;
    this.moduleId = options.moduleId;
    this.pcrs = options.pcrs;
    this.#leafLifetimeMs = options.leafLifetimeMs;
    this.#now = options.now;
  }

  static async create(options: Partial<DevEnclaveOptions> = {}): Promise<DevEnclave> {
    const now = options.now ?? defaultDevEnclaveOptions.now;
    const leafLifetimeMs = options.leafLifetimeMs ?? defaultDevEnclaveOptions.leafLifetimeMs;
    if (!Number.isSafeInteger(leafLifetimeMs) || leafLifetimeMs < 10 * 60_000 || leafLifetimeMs > DAY_MS) {
      throw new AttestationConfigError("BAD_OPTIONS", "leafLifetimeMs must be from 10 minutes to 1 day.");
    }
    const pcrs = options.pcrs ?? devEnclavePcrs(options.imageId ?? defaultDevEnclaveOptions.imageId);
    for (const [i, v] of pcrs) {
      if (!Number.isInteger(i) || i < 0 || i > 31 || v.length !== PCR_BYTES) {
        throw new AttestationConfigError(
          "BAD_OPTIONS",
          `PCR${i} must have an index 0..31 and ${PCR_BYTES} bytes.`,
        );
      }
    }
    const enclave = new DevEnclave({
      root: options.root ?? (await DevRoot.generate(now())),
      moduleId:
        options.moduleId ?? `i-${randomBytes(8).toString("hex")}-enc${randomBytes(8).toString("hex")}`,
      imageId: options.imageId ?? defaultDevEnclaveOptions.imageId,
      pcrs,
      leafLifetimeMs,
      now,
    });
    await enclave.#ensureCertificates(now());
    return enclave;
  }

  /** The PCR allowlist entry (PCR0, PCR1, PCR2 by default) that accepts this enclave's image. */
  pcrSet(indices: readonly number[] = [0, 1, 2]): PcrSet {
    return pcrSetOf(this, indices);
  }

  async attest(options: AttestOptions): Promise<Uint8Array> {
    for (const [name, value] of Object.entries(options)) {
      if (
        value !== undefined &&
        (!(value instanceof Uint8Array) || value.length > NSM_USER_FIELD_MAX_BYTES)
      ) {
        throw new AttestationConfigError(
          "BAD_ATTEST_REQUEST",
          `${name} must be at most ${NSM_USER_FIELD_MAX_BYTES} bytes.`,
        );
      }
    }
    const timestamp = Math.floor(this.#now());
    await this.#ensureCertificates(timestamp);
    const leaf = this.#leaf!;
    const payload = encodeNitroDocument({
      moduleId: this.moduleId,
      digest: NITRO_DIGEST,
      timestamp,
      pcrs: this.pcrs,
      certificate: leaf.der,
      cabundle: [this.root.issued.der, this.#intermediate!.der],
      publicKey: options.publicKey,
      userData: options.userData,
      nonce: options.nonce,
    });
    const toBeSigned = coseSign1ToBeSigned(ES384_PROTECTED_HEADER, payload);
    const signature = sign("sha384", toBeSigned, { key: leaf.signingKey, dsaEncoding: "ieee-p1363" });
    return encodeCoseSign1({
      protectedHeader: ES384_PROTECTED_HEADER,
      payload,
      signature: new Uint8Array(signature),
    });
  }

  /** Issues the intermediate and leaf when missing or about to expire (one renewal at a time). */
  async #ensureCertificates(at: number): Promise<void> {
    while (!this.#covers(at)) {
      this.#renewing ??= this.#renew(at).finally(() => {
        this.#renewing = undefined;
      });
      await this.#renewing;
    }
  }

  /** A leaf is used while the document time sits in its first two thirds, like the NSM rotating it. */
  #covers(at: number): boolean {
    const leaf = this.#leaf;
    const intermediate = this.#intermediate;
    return (
      leaf !== undefined &&
      intermediate !== undefined &&
      at >= leaf.notBefore &&
      at <= leaf.notBefore + (this.#leafLifetimeMs * 2) / 3 &&
      leaf.notAfter <= intermediate.notAfter
    );
  }

  async #renew(at: number): Promise<void> {
    const notBefore = floorToSecond(at - BACKDATE_MS);
    const leafNotAfter = notBefore + this.#leafLifetimeMs;
    let intermediate = this.#intermediate;
    if (
      intermediate === undefined ||
      intermediate.notBefore > notBefore ||
      intermediate.notAfter < leafNotAfter
    ) {
      intermediate = await issueCertificate({
        issuer: this.root.issued,
        subject: `C=US, O=opg, OU=DEVELOPMENT ONLY, CN=${randomBytes(8).toString("hex")}.dev.nitro-enclaves`,
        keys: await generateP384KeyPair(),
        notBefore,
        notAfter: Math.min(notBefore + 30 * DAY_MS, this.root.issued.notAfter),
        ca: { pathLength: 0 },
      });
    }
    const leaf = await issueCertificate({
      issuer: intermediate,
      subject: `C=US, ST=Washington, L=Seattle, O=opg, OU=DEVELOPMENT ONLY, CN=${this.moduleId}.dev`,
      keys: await generateP384KeyPair(),
      notBefore,
      notAfter: Math.min(leafNotAfter, intermediate.notAfter),
    });
    this.#intermediate = intermediate;
    this.#leaf = leaf;
  }
}

/**
 * Deterministic PCRs of a dev image, shaped like a real document's: PCR0..15, SHA-384 sized;
 * PCR0/1/2 (image, kernel, application), PCR3 (role) and PCR4 (instance) derived from `imageId`,
 * the others zero.
 */
export function devEnclavePcrs(imageId: string): Map<number, Uint8Array> {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) {
    pcrs.set(
      i,
      i <= 4
        ? new Uint8Array(createHash("sha384").update(`opg-dev-pcr${i}:${imageId}`).digest())
        : new Uint8Array(PCR_BYTES),
    );
  }
  return pcrs;
}
