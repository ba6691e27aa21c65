import {
  type EnclaveKeyRecord,
  NitroAttestationVerifier,
  TeeVerifier,
  type TeeVerifierOptions,
} from "@opg/attestation";
import { ProofMode, type ResultMessage, resultHash } from "@opg/protocol";
import type { Hex } from "viem";
import type { ProofVerifier } from "../pipeline/ProofVerifier.js";
import type { RegistryCache } from "../pipeline/RegistryCache.js";
import { ResultRejected } from "../pipeline/ResultValidator.js";

export type TeeProofVerifierOptions = Pick<
  TeeVerifierOptions,
  "maxAttestationAgeMs" | "maxFutureSkewMs" | "enclaveKeyTtlMs" | "maxEnclaveKeys"
>;

/**
 * Mode TEE: checks a result's `TeeProof` with @opg/attestation's `TeeVerifier` against the
 * model's allowed enclave measurements, read from the ModelRegistry (`measurements(modelId)`,
 * cached by the RegistryCache): a new document is verified in full once (certificate chain to a
 * trusted root, COSE signature, freshness, not a debug enclave, `keccak256(PCR0 ‖ PCR1 ‖ PCR2)`
 * listed for the model, the enclave key in `public_key`); each result is then one `ecrecover`
 * of the enclave's signature over the result's `resultHash`. Every enclave key a result verified
 * under is reported to `onEnclaveKey` (the on-chain registration).
 *
 * Failures are AttestationErrors (REJECT; IGNORE for a proof naming a document not seen yet);
 * the validator reports them as BAD_PROOF with the attestation code as cause. A chain outage is
 * CHAIN_UNAVAILABLE (deferred and checked again).
 */
export class TeeProofVerifier implements ProofVerifier {
  readonly mode = ProofMode.TEE;
  readonly tee: TeeVerifier;
  /** The model being verified and its measurements: the synchronous TeeVerifier reads them here. */
  #current: { modelId: Hex; measurements: readonly Hex[] } | undefined;

  constructor(
    options: Partial<TeeProofVerifierOptions>,
    private readonly deps: {
      registry: RegistryCache;
      /** Trusted roots; the production default trusts the AWS Nitro root only. */
      attestationVerifier?: NitroAttestationVerifier | undefined;
      onEnclaveKey?: ((record: EnclaveKeyRecord) => void) | undefined;
      now?: () => number;
    },
  ) {
    this.tee = new TeeVerifier({
      ...options,
      attestationVerifier: deps.attestationVerifier ?? new NitroAttestationVerifier(),
      measurementAllowlist: (modelId) =>
        this.#current?.modelId === modelId ? this.#current.measurements : undefined,
      ...(deps.now ? { now: deps.now } : {}),
    });
  }

  async verify(message: ResultMessage): Promise<void> {
    let measurements: readonly Hex[];
    try {
      const listingId = await this.deps.registry.listingOf(message);
      measurements = await this.deps.registry.modelMeasurements(message.modelId, listingId, message.executor);
    } catch (cause) {
      throw new ResultRejected(
        "proof",
        "IGNORE",
        "CHAIN_UNAVAILABLE",
        "The model's enclave measurements could not be read.",
        { cause },
      );
    }
    // No await from here on: verifyProof runs with this model's measurements.
    this.#current = { modelId: message.modelId, measurements };
    try {
      const verified = this.tee.verifyProof({
        modelId: message.modelId,
        resultHash: resultHash(message),
        proof: message.proof,
      });
      if (verified.binding === "enclave-key") this.deps.onEnclaveKey?.(verified.enclave);
    } finally {
      this.#current = undefined;
    }
  }
}
