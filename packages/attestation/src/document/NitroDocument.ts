import { AttestationError } from "../errors/AttestationError.js";

/** Size limits of a Nitro attestation document and its fields. */
export type NitroLimits = {
  /** The whole COSE_Sign1, checked before decoding. */
  documentBytes: number;
  /** Each DER certificate (the spec says 1..1024; kept lenient, the chain check is what counts). */
  certificateBytes: number;
  /** Certificates in `cabundle` (AWS sends 4: root and three intermediates). */
  cabundleLength: number;
  /** `public_key`, `user_data` and `nonce` each (the spec says 512 for two of them; real ones reach 1024). */
  userFieldBytes: number;
  /** `module_id` in UTF-8 bytes. */
  moduleIdBytes: number;
};

export const DEFAULT_NITRO_LIMITS: NitroLimits = {
  documentBytes: 32 * 1024,
  certificateBytes: 2048,
  cabundleLength: 8,
  userFieldBytes: 1024,
  moduleIdBytes: 256,
};

/** The digest of the PCRs; the only value Nitro uses, hence the only one accepted. */
export const NITRO_DIGEST = "SHA384";
/** Length of a SHA-384 PCR value. */
export const PCR_BYTES = 48;
/** PCR indices run from 0 to 31. */
export const MAX_PCR_INDEX = 31;

/**
 * The payload of a Nitro attestation document (AWS "Nitro Enclaves attestation process" §2.2),
 * decoded and syntactically validated. Absent and `null` optional fields are both `undefined`.
 */
export type NitroDocument = {
  /** Issuing Nitro hypervisor module, e.g. `i-0de38b2b6853cc9e8-enc0193685e7fee7d85`. */
  moduleId: string;
  digest: typeof NITRO_DIGEST;
  /** Creation time, milliseconds since the Unix epoch (UTC). */
  timestamp: number;
  /** Locked PCRs by index (PCR0 image, PCR1 kernel, PCR2 application, PCR3 IAM role, PCR4 instance, PCR8 signing cert). */
  pcrs: ReadonlyMap<number, Uint8Array>;
  /** DER leaf certificate whose key signed the document. */
  certificate: Uint8Array;
  /** DER CA bundle, root first: `[ROOT, INTERM_1, …, INTERM_N]`. */
  cabundle: readonly Uint8Array[];
  publicKey: Uint8Array | undefined;
  userData: Uint8Array | undefined;
  nonce: Uint8Array | undefined;
};

/** Validates a decoded payload map; throws BAD_DOCUMENT naming the first bad field. */
export function toNitroDocument(value: unknown, limits: NitroLimits = DEFAULT_NITRO_LIMITS): NitroDocument {
  if (!(value instanceof Map)) throw bad("The attestation payload must be a CBOR map.");
  for (const key of value.keys()) {
    if (typeof key !== "string") throw bad("Attestation payload keys must be text strings.");
  }
  const moduleId = value.get("module_id");
  if (typeof moduleId !== "string" || moduleId.length === 0)
    throw bad("module_id must be a non-empty text string.");
  if (new TextEncoder().encode(moduleId).length > limits.moduleIdBytes) throw bad("module_id is too long.");

  const digest = value.get("digest");
  if (digest !== NITRO_DIGEST) throw bad(`digest must be "${NITRO_DIGEST}".`, `digest is ${String(digest)}`);

  const timestamp = value.get("timestamp");
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw bad("timestamp must be a positive integer (milliseconds).");
  }

  return {
    moduleId,
    digest: NITRO_DIGEST,
    timestamp,
    pcrs: toPcrs(value.get("pcrs")),
    certificate: toCertificate(value.get("certificate"), "certificate", limits),
    cabundle: toCabundle(value.get("cabundle"), limits),
    publicKey: toOptionalBytes(value.get("public_key"), "public_key", 1, limits.userFieldBytes),
    userData: toOptionalBytes(value.get("user_data"), "user_data", 0, limits.userFieldBytes),
    nonce: toOptionalBytes(value.get("nonce"), "nonce", 0, limits.userFieldBytes),
  };
}

function toPcrs(value: unknown): Map<number, Uint8Array> {
  if (!(value instanceof Map) || value.size < 1 || value.size > MAX_PCR_INDEX + 1) {
    throw bad("pcrs must be a map of 1 to 32 entries.");
  }
  const pcrs = new Map<number, Uint8Array>();
  for (const [index, pcr] of value) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > MAX_PCR_INDEX) {
      throw bad("PCR indices must be integers from 0 to 31.", `index ${String(index)}`);
    }
    if (!(pcr instanceof Uint8Array) || pcr.length !== PCR_BYTES) {
      throw bad(`Each PCR must be a ${PCR_BYTES}-byte string (SHA384).`, `PCR${index}`);
    }
    pcrs.set(index, pcr);
  }
  return pcrs;
}

function toCertificate(value: unknown, name: string, limits: NitroLimits): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < 1 || value.length > limits.certificateBytes) {
    throw bad(`${name} must be a DER certificate of 1 to ${limits.certificateBytes} bytes.`);
  }
  return value;
}

function toCabundle(value: unknown, limits: NitroLimits): Uint8Array[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > limits.cabundleLength) {
    throw bad(`cabundle must be an array of 1 to ${limits.cabundleLength} certificates.`);
  }
  return value.map((cert, i) => toCertificate(cert, `cabundle[${i}]`, limits));
}

function toOptionalBytes(value: unknown, name: string, min: number, max: number): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    throw bad(`${name} must be null or a byte string of ${min} to ${max} bytes.`);
  }
  return value;
}

function bad(shortMessage: string, details?: string): AttestationError {
  return new AttestationError("BAD_DOCUMENT", shortMessage, { details });
}
