import { ProofMode, type TensorMap } from "@opg/protocol";
import { ZkArtifactStore, ZkProver, type ZkProverDeps } from "@opg/zk";
import type { Address } from "viem";
import { ExecError } from "../execution/ExecutorCore.js";
import type { ProofJob, ProofProvider } from "./ProofProvider.js";

export type ZkProofProviderOptions = {
  /** Proving worker threads. */
  workers: number;
  /** Folders of artifact directories (`<root>/<artifactKey>/manifest.json`), searched in order. */
  artifactRoots: readonly string[];
};

/**
 * Mode ZK: proves the model's fixed-point computation with Groth16 (@opg/zk's `ZkProver` in
 * worker threads). The outputs are the quantized ones the proof speaks about (int64 at scale
 * 2^s), not onnxruntime's: `run` is never called. Artifacts are found by model id. Every proof
 * binds `executor` (this executor's signing address, the `executor` of its result messages) as its
 * 4th public signal: verifiers and the chain refuse it for any other executor.
 */
export class ZkProofProvider implements ProofProvider {
  readonly mode = ProofMode.ZK;
  readonly prover: ZkProver;
  readonly artifacts: ZkArtifactStore;

  constructor(
    options: Partial<ZkProofProviderOptions> & Pick<ZkProofProviderOptions, "artifactRoots">,
    private readonly deps: ZkProverDeps & { executor: Address },
  ) {
    this.prover = new ZkProver({ workers: options.workers ?? 1 }, deps);
    this.artifacts = new ZkArtifactStore(options.artifactRoots);
  }

  /** Starts the workers and indexes the artifacts; returns the model ids that can be proven. */
  async start(): Promise<string[]> {
    await this.prover.start();
    await this.artifacts.scan();
    return this.artifacts.models();
  }

  stop(): Promise<void> {
    return this.prover.stop();
  }

  async produce(
    job: ProofJob,
    _run: () => Promise<TensorMap>,
  ): Promise<{ outputs: TensorMap; proof: Uint8Array }> {
    const artifacts = await this.artifacts.get(job.modelId);
    if (artifacts === undefined) {
      throw new ExecError(
        "MODE_NOT_SUPPORTED",
        `This executor has no ZK artifacts for model ${job.modelId}.`,
      );
    }
    const { outputs, proof } = await this.prover.prove(artifacts, job.inputs, this.deps.executor);
    return { outputs, proof };
  }
}
