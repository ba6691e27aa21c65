import { type OpgErrorOptions, type ValidationAction, ValidationError } from "@opg/protocol";

/**
 * Bounded codes of attestation verification failures. Each names one check; `details` says
 * which field, certificate or key failed it.
 */
export type AttestationErrorCode =
  /** Larger than the configured cap, checked before any decoding. */
  | "TOO_LARGE"
  /** Not well-formed CBOR: truncated, trailing bytes, duplicate map keys, too deep, bad types. */
  | "BAD_CBOR"
  /** Not a COSE_Sign1 with an ES384 protected header, an attached payload and a 96-byte signature. */
  | "BAD_COSE"
  /** The payload is not a Nitro attestation document: a field is missing, mistyped or out of range. */
  | "BAD_DOCUMENT"
  /** A certificate does not parse, uses another algorithm or curve, or has wrong constraints or usages. */
  | "BAD_CERTIFICATE"
  /** The first certificate of `cabundle` is none of the pinned roots. */
  | "UNTRUSTED_ROOT"
  /** A certificate of the chain is not valid at the verification time (expired or not yet valid). */
  | "CERT_EXPIRED"
  /** A certificate signature, the COSE signature or an enclave's result signature does not verify. */
  | "BAD_SIGNATURE"
  /** The document's PCRs match no entry of the allowlist, or the model has no allowlist entry that fits. */
  | "PCR_MISMATCH"
  /** The model has no PCR allowlist: it does not accept TEE proofs. */
  | "NO_POLICY"
  /** The enclave runs in debug mode (PCR0..2 all zero), which is rejected unless allowed. */
  | "DEBUG_ENCLAVE"
  /** The document is older than the freshness window, dated in the future, or the enclave key expired. */
  | "STALE"
  /** The document's nonce differs from the one the verifier asked for. */
  | "NONCE_MISMATCH"
  /** `user_data` or `public_key` does not bind what it must (result hash, enclave key). */
  | "BINDING_MISMATCH"
  /** A proof refers by id to an attestation this verifier has not seen (yet). */
  | "UNKNOWN_ATTESTATION"
  /** A TEE proof is not well-formed (version, binding, field count or sizes). */
  | "BAD_PROOF";

/** A failure nobody can fix by waiting is a REJECT; a missing-but-coming piece of context is IGNORE. */
const IGNORED: ReadonlySet<AttestationErrorCode> = new Set<AttestationErrorCode>(["UNKNOWN_ATTESTATION"]);

/**
 * An attestation document or TEE proof that failed verification. It is a gossip validation error:
 * everything is REJECT (a correct executor never sends it) except `UNKNOWN_ATTESTATION`, which is
 * IGNORE (the full document may simply not have reached this verifier yet).
 */
export class AttestationError extends ValidationError<AttestationErrorCode> {
  override name = "AttestationError";

  constructor(code: AttestationErrorCode, shortMessage: string, options: OpgErrorOptions = {}) {
    super(attestationErrorAction(code), code, shortMessage, options);
  }
}

/** The gossip validation action for a code (see AttestationError). */
export function attestationErrorAction(code: AttestationErrorCode): ValidationAction {
  return IGNORED.has(code) ? "IGNORE" : "REJECT";
}
