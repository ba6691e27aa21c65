import { recoverDigestSigner, SignatureError } from "@opg/protocol";
import { type Address, type Hex, hexToBytes, isAddressEqual, isHex } from "viem";
import { type ParsedAttestation, parseAttestation } from "../document/parseAttestation.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { AttestationError } from "../errors/AttestationError.js";
import { checkAttestationPolicy, DEFAULT_MAX_FUTURE_SKEW_MS } from "../policy/checkAttestationPolicy.js";
import { allowlistHasMeasurement, matchesPcrAllowlist, type PcrAllowlist } from "../policy/PcrAllowlist.js";
import { LruMap } from "../util/LruMap.js";
import { NitroAttestationVerifier, type VerifiedAttestation } from "../verify/NitroAttestationVerifier.js";
import { type EnclaveKeyRecord, enclaveKeyRecord } from "./EnclaveKeyRecord.js";
import { decodeTeeProof, type TeeProof } from "./TeeProof.js";

const MINUTE_MS = 60_000;

export type TeeVerifierOptions = {
  /**
   * The enclave images accepted for a model (from the model registry). `undefined` or an empty
   * list means the model takes no TEE proofs (NO_POLICY).
   */
  pcrAllowlist: (modelId: Hex) => PcrAllowlist | undefined;
  /** Verifies documents (pinned roots, chain cache). Default: AWS root only. */
  attestationVerifier: NitroAttestationVerifier;
  /** A document is accepted when first seen if at most this old (ms). Default 10 minutes. */
  maxAttestationAgeMs: number;
  /** Tolerated clock skew for documents dated ahead of this verifier (ms). Default 1 minute. */
  maxFutureSkewMs: number;
  /** An enclave key signs valid results until its document's timestamp plus this (ms). Default 3 hours. */
  enclaveKeyTtlMs: number;
  /** Accept debug-mode enclaves (PCR0..2 zero). Default false. */
  allowDebug: boolean;
  /** Attestations (and their enclave keys) remembered, least recently used evicted. Default 4096. */
  maxEnclaveKeys: number;
  /** Clock, ms since the epoch. */
  now: () => number;
};

export const defaultTeeVerifierOptions: Omit<TeeVerifierOptions, "pcrAllowlist" | "attestationVerifier"> = {
  maxAttestationAgeMs: 10 * MINUTE_MS,
  maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS,
  enclaveKeyTtlMs: 3 * 60 * MINUTE_MS,
  allowDebug: false,
  maxEnclaveKeys: 4096,
  now: Date.now,
};

/** What a TEE proof established. */
export type TeeVerification =
  /** The result was signed by an enclave key that a verified document of an allowed image vouches for. */
  | { binding: "enclave-key"; enclave: EnclaveKeyRecord; registered: boolean }
  /** A fresh document of an allowed image carries the result hash in `user_data`. */
  | { binding: "document"; attestation: VerifiedAttestation };

export type VerifyTeeProofInput = {
  modelId: Hex;
  /** The result's `resultHash` (docs/protocol.md): what the enclave signs, or what `user_data` holds. */
  resultHash: Hex;
  /** The `proof` bytes of the result message, or an already decoded proof. */
  proof: Uint8Array | TeeProof;
};

/**
 * Verifies TEE proofs of results. With the default enclave-key binding, a document is verified
 * once (chain, signature, freshness, debug, the model's PCR allowlist, the key in `public_key`)
 * and its enclave key cached by attestation id until it expires; each result then costs one
 * `ecrecover` over `resultHash` plus the PCR allowlist lookup of its model. The per-result
 * document binding verifies a whole document per result.
 *
 * Every failure throws AttestationError (REJECT, or IGNORE for UNKNOWN_ATTESTATION).
 */
export class TeeVerifier {
  readonly options: TeeVerifierOptions;
  readonly #records: LruMap<string, EnclaveKeyRecord>;
  #registered = 0;

  constructor(options: Partial<TeeVerifierOptions> & Pick<TeeVerifierOptions, "pcrAllowlist">) {
    this.options = {
      ...defaultTeeVerifierOptions,
      attestationVerifier: options.attestationVerifier ?? new NitroAttestationVerifier(),
      ...options,
    };
    for (const key of [
      "maxAttestationAgeMs",
      "maxFutureSkewMs",
      "enclaveKeyTtlMs",
      "maxEnclaveKeys",
    ] as const) {
      const value = this.options[key];
      if (!Number.isSafeInteger(value) || value < (key === "maxEnclaveKeys" ? 1 : 0)) {
        throw new AttestationConfigError("BAD_OPTIONS", `${key} must be a non-negative integer.`);
      }
    }
    this.#records = new LruMap(this.options.maxEnclaveKeys);
  }

  verifyProof(input: VerifyTeeProofInput): TeeVerification {
    const { modelId, resultHash } = input;
    if (!isHex(resultHash, { strict: true }) || hexToBytes(resultHash).length !== 32) {
      throw new AttestationConfigError("BAD_OPTIONS", "resultHash must be 32 bytes of 0x-hex.");
    }
    const proof = input.proof instanceof Uint8Array ? decodeTeeProof(input.proof) : input.proof;
    const allowlist = this.options.pcrAllowlist(modelId);
    if (allowlist === undefined || allowlist.length === 0) {
      throw new AttestationError("NO_POLICY", "The model accepts no TEE proofs (no PCR allowlist).", {
        details: `model ${modelId}`,
      });
    }

    if (proof.binding === "document") {
      const attestation = this.options.attestationVerifier.verify(proof.document);
      checkAttestationPolicy(attestation.document, {
        ...this.#freshness(),
        pcrAllowlist: allowlist,
        userData: resultHash,
      });
      return { binding: "document", attestation };
    }

    let record: EnclaveKeyRecord | undefined;
    let registered = false;
    if ("document" in proof.attestation) {
      const parsed = parseAttestation(
        proof.attestation.document,
        this.options.attestationVerifier.options.limits,
      );
      record = this.#records.get(parsed.attestationId);
      if (record === undefined) {
        record = this.#verifyDocument(parsed, allowlist);
        registered = true;
      }
    } else {
      record = this.#records.get(proof.attestation.id);
      if (record === undefined) {
        throw new AttestationError(
          "UNKNOWN_ATTESTATION",
          "The proof refers to an attestation not seen yet.",
          {
            details: `attestation ${proof.attestation.id}`,
          },
        );
      }
    }

    const signer = recoverSigner(resultHash, proof.signature);
    if (!isAddressEqual(signer, record.address)) {
      throw new AttestationError("BAD_SIGNATURE", "The result is not signed by the attested enclave key.", {
        details: `signer ${signer}, enclave ${record.address}`,
      });
    }
    checkRecordForModel(record, allowlist, modelId);
    const now = this.options.now();
    if (now > record.expiresAt) {
      throw new AttestationError("STALE", "The enclave key has expired; a newer attestation is needed.", {
        details: `attestation ${record.attestationId} expired at ${new Date(record.expiresAt).toISOString()}`,
      });
    }
    if (registered) {
      this.#records.set(record.attestationId, record);
      this.#registered++;
    }
    return { binding: "enclave-key", enclave: record, registered };
  }

  /**
   * Verifies a document carrying an enclave key outside a result (e.g. one the executor
   * announced) against a model's allowlist, and remembers its key.
   */
  registerAttestation(document: Uint8Array, modelId: Hex): EnclaveKeyRecord {
    const allowlist = this.options.pcrAllowlist(modelId);
    if (allowlist === undefined || allowlist.length === 0) {
      throw new AttestationError("NO_POLICY", "The model accepts no TEE proofs (no PCR allowlist).");
    }
    const parsed = parseAttestation(document, this.options.attestationVerifier.options.limits);
    const cached = this.#records.get(parsed.attestationId);
    if (cached !== undefined) checkRecordForModel(cached, allowlist, modelId);
    const record = cached ?? this.#verifyDocument(parsed, allowlist);
    this.#records.set(record.attestationId, record);
    return record;
  }

  /** Adds a record obtained elsewhere, e.g. rebuilt from the on-chain enclave registry. */
  addEnclaveKey(record: EnclaveKeyRecord): void {
    this.#records.set(record.attestationId, record);
  }

  /** The cached record of an attestation id, if any (does not refresh its recency). */
  getEnclaveKey(attestationId: Hex): EnclaveKeyRecord | undefined {
    return this.#records.peek(attestationId);
  }

  get stats(): { enclaveKeys: number; registered: number } {
    return { enclaveKeys: this.#records.size, registered: this.#registered };
  }

  #verifyDocument(parsed: ParsedAttestation, allowlist: PcrAllowlist): EnclaveKeyRecord {
    const verified = this.options.attestationVerifier.verifyParsed(parsed);
    checkAttestationPolicy(verified.document, { ...this.#freshness(), pcrAllowlist: allowlist });
    if (verified.document.publicKey === undefined) {
      throw new AttestationError(
        "BINDING_MISMATCH",
        "The attestation carries no enclave key (public_key is empty).",
      );
    }
    return enclaveKeyRecord(verified, this.options.enclaveKeyTtlMs);
  }

  #freshness() {
    return {
      allowDebug: this.options.allowDebug,
      now: this.options.now(),
      maxAgeMs: this.options.maxAttestationAgeMs,
      maxFutureSkewMs: this.options.maxFutureSkewMs,
    };
  }
}

function checkRecordForModel(record: EnclaveKeyRecord, allowlist: PcrAllowlist, modelId: Hex): void {
  const ok =
    record.pcrs !== undefined
      ? matchesPcrAllowlist(record.pcrs, allowlist)
      : allowlistHasMeasurement(allowlist, record.measurement);
  if (!ok) {
    throw new AttestationError("PCR_MISMATCH", "The enclave's image is not allowed for this model.", {
      details: `model ${modelId}, measurement ${record.measurement}`,
    });
  }
}

function recoverSigner(resultHash: Hex, signature: Hex): Address {
  try {
    return recoverDigestSigner(resultHash, signature);
  } catch (cause) {
    if (!(cause instanceof SignatureError)) throw cause;
    throw new AttestationError("BAD_SIGNATURE", "The enclave result signature is malformed.", {
      details: cause.code,
      cause,
    });
  }
}
