import { recoverDigestSigner, SignatureError } from "@opg/protocol";
import { LRUCache } from "lru-cache";
import { type Address, type Hex, hexToBytes, isAddressEqual, isHex } from "viem";
import { type ParsedAttestation, parseAttestation } from "../document/parseAttestation.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { AttestationError } from "../errors/AttestationError.js";
import { checkAttestationPolicy, DEFAULT_MAX_FUTURE_SKEW_MS } from "../policy/checkAttestationPolicy.js";
import {
  allowlistHasMeasurement,
  enclaveMeasurement,
  matchesPcrAllowlist,
  type PcrAllowlist,
} from "../policy/PcrAllowlist.js";
import { NitroAttestationVerifier, type VerifiedAttestation } from "../verify/NitroAttestationVerifier.js";
import { type EnclaveKeyRecord, enclaveKeyRecord } from "./EnclaveKeyRecord.js";
import { decodeTeeProof, type TeeProof } from "./TeeProof.js";

const MINUTE_MS = 60_000;

export type TeeVerifierOptions = {
  /**
   * The enclave images accepted for a model, as raw PCR values. `undefined` or an empty list
   * defers to `measurementAllowlist`; with neither the model takes no TEE proofs (NO_POLICY).
   */
  pcrAllowlist: (modelId: Hex) => PcrAllowlist | undefined;
  /**
   * The enclave images accepted for a model as measurements, `enclaveMeasurement(pcrs)` =
   * `keccak256(PCR0 ‖ PCR1 ‖ PCR2)`: what the on-chain ModelRegistry lists
   * (`measurements(modelId)`). Consulted when `pcrAllowlist` gives nothing for the model.
   * Synchronous: a caller reading the chain fetches (and caches) the list before `verifyProof`.
   */
  measurementAllowlist: (modelId: Hex) => readonly Hex[] | undefined;
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

export const defaultTeeVerifierOptions: Omit<
  TeeVerifierOptions,
  "pcrAllowlist" | "measurementAllowlist" | "attestationVerifier"
> = {
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
  readonly #records: LRUCache<string, EnclaveKeyRecord>;
  #registered = 0;

  constructor(
    options: Partial<TeeVerifierOptions> &
      (Pick<TeeVerifierOptions, "pcrAllowlist"> | Pick<TeeVerifierOptions, "measurementAllowlist">),
  ) {
    if (options.pcrAllowlist === undefined && options.measurementAllowlist === undefined) {
      throw new AttestationConfigError("BAD_OPTIONS", "Give pcrAllowlist or measurementAllowlist.");
    }
    this.options = {
      ...defaultTeeVerifierOptions,
      attestationVerifier: options.attestationVerifier ?? new NitroAttestationVerifier(),
      pcrAllowlist: options.pcrAllowlist ?? noAllowlist,
      measurementAllowlist: options.measurementAllowlist ?? noAllowlist,
      ...stripUndefined(options),
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
    this.#records = new LRUCache({ max: this.options.maxEnclaveKeys });
  }

  verifyProof(input: VerifyTeeProofInput): TeeVerification {
    const { modelId, resultHash } = input;
    if (!isHex(resultHash, { strict: true }) || hexToBytes(resultHash).length !== 32) {
      throw new AttestationConfigError("BAD_OPTIONS", "resultHash must be 32 bytes of 0x-hex.");
    }
    const proof = input.proof instanceof Uint8Array ? decodeTeeProof(input.proof) : input.proof;
    const allowlist = this.#policy(modelId);

    if (proof.binding === "document") {
      const attestation = this.options.attestationVerifier.verify(proof.document);
      checkAttestationPolicy(attestation.document, {
        ...this.#freshness(),
        ...(allowlist.kind === "pcrs" ? { pcrAllowlist: allowlist.pcrs } : {}),
        userData: resultHash,
      });
      checkPcrsForModel(attestation.document.pcrs, allowlist, modelId);
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
        record = this.#verifyDocument(parsed, allowlist, modelId);
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
    const allowlist = this.#policy(modelId);
    const parsed = parseAttestation(document, this.options.attestationVerifier.options.limits);
    const cached = this.#records.get(parsed.attestationId);
    if (cached !== undefined) checkRecordForModel(cached, allowlist, modelId);
    const record = cached ?? this.#verifyDocument(parsed, allowlist, modelId);
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

  /** The model's policy: its PCR allowlist, else its measurement allowlist; NO_POLICY with neither. */
  #policy(modelId: Hex): ModelPolicy {
    const pcrs = this.options.pcrAllowlist(modelId);
    if (pcrs !== undefined && pcrs.length > 0) return { kind: "pcrs", pcrs };
    const measurements = this.options.measurementAllowlist(modelId);
    if (measurements !== undefined && measurements.length > 0) {
      return { kind: "measurements", measurements: measurementSet(measurements) };
    }
    throw new AttestationError("NO_POLICY", "The model accepts no TEE proofs (no allowed enclave image).", {
      details: `model ${modelId}`,
    });
  }

  #verifyDocument(parsed: ParsedAttestation, allowlist: ModelPolicy, modelId: Hex): EnclaveKeyRecord {
    const verified = this.options.attestationVerifier.verifyParsed(parsed);
    checkAttestationPolicy(verified.document, {
      ...this.#freshness(),
      ...(allowlist.kind === "pcrs" ? { pcrAllowlist: allowlist.pcrs } : {}),
    });
    checkPcrsForModel(verified.document.pcrs, allowlist, modelId);
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

/** A model's accepted images: raw PCR sets, or measurements (lower-case hex). */
type ModelPolicy =
  | { kind: "pcrs"; pcrs: PcrAllowlist }
  | { kind: "measurements"; measurements: ReadonlySet<string> };

const noAllowlist = () => undefined;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const measurementSets = new WeakMap<readonly Hex[], ReadonlySet<string>>();

/** The allowlist as a set (memoised per array: callers pass the same array until it changes). */
function measurementSet(list: readonly Hex[]): ReadonlySet<string> {
  let set = measurementSets.get(list);
  if (set === undefined) {
    set = new Set(list.map((m) => m.toLowerCase()));
    measurementSets.set(list, set);
  }
  return set;
}

/** `enclaveMeasurement` of a peer's PCRs; a document without PCR0..2 matches no measurement. */
function measurementOf(pcrs: ReadonlyMap<number, Uint8Array>): Hex | undefined {
  return [0, 1, 2].every((i) => pcrs.has(i)) ? enclaveMeasurement(pcrs) : undefined;
}

/** The document's PCRs against a measurement policy (PCR policies are checked by checkAttestationPolicy). */
function checkPcrsForModel(
  pcrs: ReadonlyMap<number, Uint8Array>,
  allowlist: ModelPolicy,
  modelId: Hex,
): void {
  if (allowlist.kind !== "measurements") return;
  const measurement = measurementOf(pcrs);
  if (measurement === undefined || !allowlist.measurements.has(measurement.toLowerCase())) {
    throw new AttestationError("PCR_MISMATCH", "The enclave's image is not allowed for this model.", {
      details: `model ${modelId}, measurement ${measurement ?? "none (PCR0..2 missing)"}`,
    });
  }
}

function checkRecordForModel(record: EnclaveKeyRecord, allowlist: ModelPolicy, modelId: Hex): void {
  const ok =
    allowlist.kind === "measurements"
      ? allowlist.measurements.has(record.measurement.toLowerCase())
      : record.pcrs !== undefined
        ? matchesPcrAllowlist(record.pcrs, allowlist.pcrs)
        : allowlistHasMeasurement(allowlist.pcrs, record.measurement);
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
