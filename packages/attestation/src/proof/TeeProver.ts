import { type Address, type Hex, hexToBytes, isHex } from "viem";
import { parseAttestation } from "../document/parseAttestation.js";
import { EnclaveKey } from "../enclave/EnclaveKey.js";
import type { EnclaveProvider } from "../enclave/EnclaveProvider.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { equalBytes } from "../util/bytes.js";
import { encodeTeeProof } from "./TeeProof.js";

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

export type TeeProverOptions = {
  provider: EnclaveProvider;
  /** `enclave-key` (default): sign results with the enclave key; `document`: one document per result. */
  binding: "enclave-key" | "document";
  /**
   * Key generated at boot. Default: a fresh one. Inside a real enclave this class runs in the
   * enclave, so the key never leaves it.
   */
  enclaveKey: EnclaveKey;
  /**
   * Ask the provider for a fresh document vouching for the key this often (ms), so verifiers
   * seeing it first always find it within their `maxAttestationAgeMs`. Default 5 minutes.
   */
  refreshIntervalMs: number;
  /** Attach the full document again when the last one went out longer ago than this (ms); otherwise its id. Default 30 s. */
  documentIntervalMs: number;
  /** Clock, ms since the epoch. */
  now: () => number;
};

export const defaultTeeProverOptions = {
  binding: "enclave-key",
  refreshIntervalMs: 5 * MINUTE_MS,
  documentIntervalMs: 30 * SECOND_MS,
  now: Date.now,
} as const;

type CurrentAttestation = { document: Uint8Array; id: Hex; obtainedAt: number; sentAt: number | undefined };

/**
 * The executor side of TEE proofs: turns a `resultHash` into the bytes of the result message's
 * `proof` field (`TeeProof`). With the enclave-key binding it keeps a recent document vouching for
 * its key, signs each result hash (one secp256k1 signature) and attaches the full document only
 * every `documentIntervalMs` (its 32-byte id otherwise), so verifiers that joined late catch up.
 */
export class TeeProver {
  readonly options: TeeProverOptions;
  #current: CurrentAttestation | undefined;
  #refreshing: Promise<CurrentAttestation> | undefined;

  constructor(options: Partial<TeeProverOptions> & Pick<TeeProverOptions, "provider">) {
    this.options = {
      ...defaultTeeProverOptions,
      enclaveKey: options.enclaveKey ?? EnclaveKey.generate(),
      ...options,
    };
    for (const key of ["refreshIntervalMs", "documentIntervalMs"] as const) {
      if (!Number.isSafeInteger(this.options[key]) || this.options[key] < 0) {
        throw new AttestationConfigError("BAD_OPTIONS", `${key} must be a non-negative integer.`);
      }
    }
  }

  /** The enclave key's address: what verifiers recover from result signatures (and the chain registers). */
  get enclaveAddress(): Address {
    return this.options.enclaveKey.address;
  }

  /** The current document vouching for the enclave key (obtained or refreshed as needed). */
  async attestation(): Promise<{ document: Uint8Array; attestationId: Hex }> {
    const current = await this.#fresh();
    return { document: current.document, attestationId: current.id };
  }

  /** The `proof` bytes for a result. */
  async prove(resultHash: Hex): Promise<Uint8Array> {
    if (!isHex(resultHash, { strict: true }) || resultHash.length !== 66) {
      throw new AttestationConfigError("BAD_OPTIONS", "resultHash must be 32 bytes of 0x-hex.");
    }
    if (this.options.binding === "document") {
      const document = await this.options.provider.attest({ userData: hexToBytes(resultHash) });
      return encodeTeeProof({ binding: "document", document });
    }
    const current = await this.#fresh();
    const signature = this.options.enclaveKey.signResult(resultHash);
    const now = this.options.now();
    const sendDocument =
      current.sentAt === undefined || now - current.sentAt >= this.options.documentIntervalMs;
    if (sendDocument) current.sentAt = now;
    return encodeTeeProof({
      binding: "enclave-key",
      attestation: sendDocument ? { document: current.document } : { id: current.id },
      signature,
    });
  }

  async #fresh(): Promise<CurrentAttestation> {
    const current = this.#current;
    if (current !== undefined && this.options.now() - current.obtainedAt < this.options.refreshIntervalMs) {
      return current;
    }
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<CurrentAttestation> {
    const obtainedAt = this.options.now();
    const document = await this.options.provider.attest({ publicKey: this.options.enclaveKey.publicKey });
    const parsed = parseAttestation(document);
    const bound = parsed.document.publicKey;
    if (bound === undefined || !equalBytes(bound, this.options.enclaveKey.publicKey)) {
      throw new AttestationConfigError(
        "BAD_ATTEST_REQUEST",
        "The provider's document does not carry the enclave key.",
      );
    }
    this.#current = { document, id: parsed.attestationId, obtainedAt, sentAt: undefined };
    return this.#current;
  }
}
