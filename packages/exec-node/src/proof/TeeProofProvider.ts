import { type EnclaveProvider, enclaveMeasurement, parseAttestation, TeeProver } from "@opg/attestation";
import { hashTensors, ProofMode, resultHash, type TensorMap } from "@opg/protocol";
import type { Address, Hex } from "viem";
import type { ProofJob, ProofProvider } from "./ProofProvider.js";

export type TeeProofProviderOptions = {
  /** `enclave-key` (default): the attested enclave key signs each resultHash; `document`: a document per result. */
  binding: "enclave-key" | "document";
  refreshIntervalMs: number;
  documentIntervalMs: number;
};

/** What the enclave attests: for operators registering its measurement with their models. */
export type TeeEnclaveInfo = {
  /** The enclave key's address (recovered from each result's enclave signature; registered on chain). */
  enclave: Address;
  /** `keccak256(PCR0 ‖ PCR1 ‖ PCR2)`: what the ModelRegistry must allow for the models served in TEE mode. */
  measurement: Hex;
  pcrs: { 0: Hex; 1: Hex; 2: Hex };
  moduleId: string;
};

/**
 * Mode TEE: runs the model, computes the result's `resultHash` (with this executor's signing
 * address) and has the enclave bind it (`TeeProver`: a signature of the attested enclave key, the
 * document attached every `documentIntervalMs`; or one document per result). The attestation
 * documents come from an `EnclaveProvider`: the dev enclave on a devnet, the NSM device in a real
 * Nitro enclave (where this provider, the model and the key run inside the enclave).
 */
export class TeeProofProvider implements ProofProvider {
  readonly mode = ProofMode.TEE;
  readonly prover: TeeProver;
  #info: TeeEnclaveInfo | undefined;

  constructor(
    options: Partial<TeeProofProviderOptions>,
    private readonly deps: { enclaveProvider: EnclaveProvider; executor: Address },
  ) {
    this.prover = new TeeProver({ provider: deps.enclaveProvider, ...options });
  }

  /** Obtains the first document (so the first request does not wait for it) and reads what it attests. */
  async start(): Promise<TeeEnclaveInfo> {
    const { document } = await this.prover.attestation();
    const { pcrs, moduleId } = parseAttestation(document).document;
    const hex = (i: number): Hex => `0x${Buffer.from(pcrs.get(i) ?? new Uint8Array()).toString("hex")}`;
    this.#info = {
      enclave: this.prover.enclaveAddress,
      measurement: enclaveMeasurement(pcrs),
      pcrs: { 0: hex(0), 1: hex(1), 2: hex(2) },
      moduleId,
    };
    return this.#info;
  }

  /** What the enclave attests, once started. */
  get info(): TeeEnclaveInfo | undefined {
    return this.#info;
  }

  async produce(
    job: ProofJob,
    run: () => Promise<TensorMap>,
  ): Promise<{ outputs: TensorMap; proof: Uint8Array }> {
    const outputs = await run();
    const hash = resultHash({
      requestId: job.requestId,
      modelId: job.modelId,
      inputHash: job.inputHash,
      outputHash: hashTensors(outputs),
      executor: this.deps.executor,
    });
    return { outputs, proof: await this.prover.prove(hash) };
  }
}
