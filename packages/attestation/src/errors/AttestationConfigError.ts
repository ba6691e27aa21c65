import { OpgError } from "@opg/protocol";

/** Bounded codes of local misconfiguration or misuse (never caused by peer data). */
export type AttestationConfigErrorCode =
  /** An option is missing, of the wrong type or out of range. */
  | "BAD_OPTIONS"
  /** A configured root certificate does not parse or is not a P-384 CA certificate. */
  | "BAD_ROOT"
  /** A PCR allowlist entry is empty or holds a bad index or value. */
  | "BAD_PCR_ALLOWLIST"
  /** The development root was asked for but its file does not exist. */
  | "DEV_ROOT_MISSING"
  /** The development root files exist but cannot be used (bad contents, readable by others). */
  | "DEV_ROOT_INVALID"
  /** An attestation request is out of the NSM's limits (field over 1024 bytes, bad public key). */
  | "BAD_ATTEST_REQUEST";

/** Bad configuration or API misuse in the attestation package: fix the caller, do not retry. */
export class AttestationConfigError extends OpgError<AttestationConfigErrorCode> {
  override name = "AttestationConfigError";
}
