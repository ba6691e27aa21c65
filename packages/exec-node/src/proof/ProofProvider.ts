import type { ProofMode, TensorMap } from "@opg/protocol";
import type { Hex } from "viem";

/** What a proof provider knows of the job it proves. */
export type ProofJob = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  inputs: TensorMap;
};

/**
 * Produces the outputs of a request in one proof mode together with their proof. `run` runs the
 * model on onnxruntime; a provider may use it (NONE, TEE) or compute the outputs its own way
 * (ZK: the quantized computation the proof speaks about).
 */
export interface ProofProvider {
  readonly mode: ProofMode;
  produce(job: ProofJob, run: () => Promise<TensorMap>): Promise<{ outputs: TensorMap; proof: Uint8Array }>;
}

/** Mode NONE: the runtime's outputs, no proof (the executor's signature is all there is). */
export class NoneProofProvider implements ProofProvider {
  readonly mode = 0 as const;

  async produce(
    _job: ProofJob,
    run: () => Promise<TensorMap>,
  ): Promise<{ outputs: TensorMap; proof: Uint8Array }> {
    return { outputs: await run(), proof: new Uint8Array(0) };
  }
}
