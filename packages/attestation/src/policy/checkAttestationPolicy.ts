import type { NitroDocument } from "../document/NitroDocument.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { AttestationError } from "../errors/AttestationError.js";
import { type BytesLike, equalBytes, toHex, tryToBytes } from "../util/bytes.js";
import { isDebugEnclave, matchesPcrAllowlist, type PcrAllowlist } from "./PcrAllowlist.js";

/** What a verified document must also satisfy. Every check is skipped when its option is absent. */
export type AttestationPolicy = {
  /** Accepted images; the document must match one set (PCR_MISMATCH otherwise). */
  pcrAllowlist?: PcrAllowlist;
  /** Accept debug-mode enclaves (PCR0..2 all zero). Default false; never true in production. */
  allowDebug?: boolean;
  /** The verifier's clock, ms since the epoch (needed by maxAgeMs and maxFutureSkewMs). */
  now?: number;
  /** Oldest acceptable document: `now - timestamp <= maxAgeMs` (STALE otherwise). */
  maxAgeMs?: number;
  /** Tolerated clock skew for documents dated after `now`. Default 60 s when `now` is given. */
  maxFutureSkewMs?: number;
  /** The nonce this verifier asked for (NONCE_MISMATCH when different or absent). */
  nonce?: BytesLike;
  /** What `user_data` must be exactly, e.g. a result hash (BINDING_MISMATCH otherwise). */
  userData?: BytesLike;
  /** What `public_key` must be exactly (BINDING_MISMATCH otherwise). */
  publicKey?: BytesLike;
};

export const DEFAULT_MAX_FUTURE_SKEW_MS = 60_000;

/** Checks the policy in a fixed order (debug, PCRs, freshness, nonce, bindings); throws AttestationError. */
export function checkAttestationPolicy(document: NitroDocument, policy: AttestationPolicy): void {
  if (!policy.allowDebug && isDebugEnclave(document.pcrs)) {
    throw new AttestationError("DEBUG_ENCLAVE", "The enclave runs in debug mode (PCR0..2 are zero).", {
      details: `module ${document.moduleId}`,
    });
  }
  if (policy.pcrAllowlist !== undefined && !matchesPcrAllowlist(document.pcrs, policy.pcrAllowlist)) {
    throw new AttestationError("PCR_MISMATCH", "The enclave's PCRs match no allowed image.", {
      details: `PCR0 ${hexOr(document.pcrs.get(0))}`,
    });
  }
  if (policy.now !== undefined) {
    const age = policy.now - document.timestamp;
    const skew = policy.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
    if (-age > skew) {
      throw new AttestationError("STALE", "The attestation document is dated in the future.", {
        details: `${-age} ms ahead of this verifier's clock`,
      });
    }
    if (policy.maxAgeMs !== undefined && age > policy.maxAgeMs) {
      throw new AttestationError("STALE", "The attestation document is too old.", {
        details: `${age} ms old; at most ${policy.maxAgeMs} ms accepted`,
      });
    }
  } else if (policy.maxAgeMs !== undefined) {
    throw new AttestationConfigError("BAD_OPTIONS", "maxAgeMs needs `now`.");
  }
  if (policy.nonce !== undefined && !sameBytes(document.nonce, policy.nonce, "nonce")) {
    throw new AttestationError("NONCE_MISMATCH", "The document's nonce is not the one asked for.");
  }
  if (policy.userData !== undefined && !sameBytes(document.userData, policy.userData, "userData")) {
    throw new AttestationError(
      "BINDING_MISMATCH",
      "The document's user_data does not bind the expected value.",
      {
        details: `user_data ${hexOr(document.userData)}`,
      },
    );
  }
  if (policy.publicKey !== undefined && !sameBytes(document.publicKey, policy.publicKey, "publicKey")) {
    throw new AttestationError("BINDING_MISMATCH", "The document's public_key is not the expected key.");
  }
}

function sameBytes(actual: Uint8Array | undefined, expected: BytesLike, name: string): boolean {
  const bytes = tryToBytes(expected);
  if (bytes === undefined)
    throw new AttestationConfigError("BAD_OPTIONS", `Policy ${name} is not bytes or 0x-hex.`);
  return actual !== undefined && equalBytes(actual, bytes);
}

function hexOr(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "absent" : toHex(bytes);
}
