import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { encodeTensors, type TensorMap } from "@opg/protocol";
import type { Hex } from "viem";
import { executorSignal } from "../binding/bindResultProof.js";
import { quantizeInputs, zkOutputs } from "../binding/zkTensors.js";
import type { ZkArtifacts } from "../pipeline/ZkArtifacts.js";
import { fromSnarkjsProof, type Groth16ProofPoints } from "../proof/Groth16Proof.js";
import { encodeZkProof } from "../proof/zkProofBytes.js";
import { commitVector } from "../quant/commitVector.js";
import { toField } from "../quant/field.js";
import { inputCommitment } from "../quant/packInput.js";
import { runQuantized } from "../quant/runQuantized.js";
import { weightVector } from "../quant/weightVector.js";
import { ZkError } from "../ZkError.js";
import type { LoadJob, ProveEngine, ProveJob, ProveReply } from "./proveWorker.js";

export type ZkProverOptions = {
  /**
   * Proving worker threads. Each proof already uses every core through ffjavascript's own
   * thread pool, so 1 is right for most machines; more only helps throughput on many cores.
   */
  workers: number;
  /** Proofs waiting for a worker beyond this are refused (PROVE_FAILED, retryable by the caller). */
  maxQueue: number;
  /**
   * Groth16 prover: "opg" (default: the proving key parsed once per circuit, QAP in WebAssembly
   * on every thread, multi-exponentiations by witness value class; see proveWorker.ts) or
   * "snarkjs" (`snarkjs.groth16.prove`, the reference, e.g. as a benchmark baseline). Both give
   * standard proofs for the same key.
   */
  engine: ProveEngine;
};

export const defaultZkProverOptions: ZkProverOptions = { workers: 1, maxQueue: 256, engine: "opg" };

/** Labels of one proving-time observation. */
export type ZkProveLabels = { modelId: Hex; artifactKey: string; ok: boolean };

export type ZkProverDeps = {
  /**
   * Called once per proof with the seconds spent in witness generation + proving (queue time
   * excluded): feed a histogram, e.g. `opg_zk_prove_seconds`.
   */
  onProveTime?: (seconds: number, labels: ZkProveLabels) => void;
};

export type ZkProveTimings = {
  queueSeconds: number;
  witnessSeconds: number;
  proveSeconds: number;
  totalSeconds: number;
};

export type ZkProveResult = {
  /** The outputs the proof speaks about: int64 fixed point at scale 2^s (see zkOutputs). */
  outputs: TensorMap;
  /** The gossip `proof` field: encodeZkProof with the request input attached. */
  proof: Uint8Array;
  points: Groth16ProofPoints;
  /** [weightsCommitment, inputCommitment, outputCommitment, executor]. */
  publicSignals: bigint[];
  quantizedInput: bigint[];
  quantizedOutput: bigint[];
  timings: ZkProveTimings;
};

type Pending = {
  job: ProveJob;
  enqueued: number;
  resolve: (r: Extract<ProveReply, { type: "result" }> & { queueMs: number }) => void;
  reject: (e: Error) => void;
};

type Slot = { worker: Worker; busy: Pending | undefined; started: number };

function workerUrl(): URL {
  const ts = new URL("./proveWorker.ts", import.meta.url);
  // From sources (tests, tsx) run the .ts worker with Node's type stripping; from dist/ the .js.
  return import.meta.url.endsWith(".ts") && existsSync(fileURLToPath(ts))
    ? ts
    : new URL("./proveWorker.js", import.meta.url);
}

/**
 * Groth16 prover for compiled models, proving in a pool of `worker_threads` so the caller's event
 * loop never blocks. `prove()` quantizes the request input, runs the fixed-point executor (the
 * outputs the proof speaks about), proves in a worker, and checks that the proof's public signals
 * are the commitments of exactly those tensors.
 */
export class ZkProver {
  private readonly opts: ZkProverOptions;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private running = false;
  private readonly loads = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    opts: Partial<ZkProverOptions> = {},
    private readonly deps: ZkProverDeps = {},
  ) {
    this.opts = { ...defaultZkProverOptions, ...opts };
    if (!Number.isInteger(this.opts.workers) || this.opts.workers < 1) {
      throw new ZkError("INVALID_INPUT", `workers must be a positive integer; got ${this.opts.workers}.`);
    }
    if (this.opts.engine !== "opg" && this.opts.engine !== "snarkjs") {
      throw new ZkError(
        "INVALID_INPUT",
        `engine must be "opg" or "snarkjs"; got ${String(this.opts.engine)}.`,
      );
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.opts.workers; i++) this.slots.push(this.spawn());
  }

  /** Terminates the workers; queued and running proofs reject with PROVER_CLOSED. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const closed = new ZkError("PROVER_CLOSED", "The prover was stopped.");
    for (const p of this.queue.splice(0)) p.reject(closed);
    for (const l of this.loads.values()) l.reject(closed);
    this.loads.clear();
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        s.busy?.reject(closed);
        s.busy = undefined;
        s.worker.removeAllListeners("exit");
        const exited = new Promise((r) => s.worker.once("exit", r));
        s.worker.postMessage({ type: "close" });
        const timer = setTimeout(() => void s.worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /**
   * Load a model's circuit and proving key into every worker (and start ffjavascript's engine)
   * so that the first proof does not pay for it. Optional.
   */
  async preload(artifacts: ZkArtifacts): Promise<void> {
    if (!this.running) throw new ZkError("PROVER_CLOSED", "The prover is not started.");
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const job: LoadJob = {
              type: "load",
              id: this.nextId++,
              key: artifacts.manifest.artifactKey,
              wasmPath: artifacts.wasmPath,
              zkeyPath: artifacts.zkeyPath,
              witnessCalculatorPath: artifacts.witnessCalculatorPath,
              engine: this.opts.engine,
            };
            this.loads.set(job.id, { resolve, reject });
            slot.worker.postMessage(job);
          }),
      ),
    );
  }

  /**
   * Prove one inference. `inputs` is the request's tensor map (float32/float64, model shape);
   * `executor` is the address that signs the result (`ResultMessage.executor`): the proof binds it
   * as its 4th public signal, so only that executor can use it.
   */
  async prove(
    artifacts: ZkArtifacts,
    inputs: TensorMap,
    executor: Hex,
    options: { signal?: AbortSignal } = {},
  ): Promise<ZkProveResult> {
    if (!this.running) throw new ZkError("PROVER_CLOSED", "The prover is not started.");
    const { spec, manifest } = artifacts;
    const executorValue = executorSignal(executor);
    const x = quantizeInputs(spec, inputs);
    const encodedInput = encodeTensors(inputs);
    const trace = runQuantized(spec, x);
    const witnessInput: Record<string, string | string[]> = {
      executor: executorValue.toString(),
      x: x.map((v) => toField(v).toString()),
    };
    if (spec.weightMode === "private") {
      const w = weightVector(spec);
      if (w.length > 0) witnessInput["w"] = w.map((v) => toField(v).toString());
    }
    const job: ProveJob = {
      type: "prove",
      id: this.nextId++,
      key: manifest.artifactKey,
      wasmPath: artifacts.wasmPath,
      zkeyPath: artifacts.zkeyPath,
      witnessCalculatorPath: artifacts.witnessCalculatorPath,
      input: witnessInput,
      engine: this.opts.engine,
    };
    const labels = (ok: boolean): ZkProveLabels => ({
      modelId: manifest.modelId,
      artifactKey: manifest.artifactKey,
      ok,
    });
    let reply: Awaited<ReturnType<ZkProver["run"]>>;
    try {
      reply = await this.run(job, options.signal);
    } catch (e) {
      if (e instanceof ZkError && e.code === "PROVE_FAILED") this.deps.onProveTime?.(0, labels(false));
      throw e;
    }
    const witnessSeconds = reply.witnessMs / 1000;
    const proveSeconds = reply.proveMs / 1000;
    const publicSignals = reply.publicSignals.map(BigInt);
    const expected = [
      BigInt(manifest.weightsCommitment),
      await inputCommitment(spec, x),
      await commitVector(trace.output),
      executorValue,
    ];
    if (publicSignals.length !== expected.length || publicSignals.some((s, i) => s !== expected[i])) {
      this.deps.onProveTime?.(witnessSeconds + proveSeconds, labels(false));
      throw new ZkError(
        "PROVE_FAILED",
        "The proof's public signals differ from the fixed-point executor's commitments.",
        {
          details: `circuit ${reply.publicSignals.join(",")} vs executor ${expected.join(",")}`,
        },
      );
    }
    this.deps.onProveTime?.(witnessSeconds + proveSeconds, labels(true));
    const points = fromSnarkjsProof(reply.proof);
    return {
      outputs: zkOutputs(spec, trace.output),
      proof: encodeZkProof({ proof: points, publicSignals, input: encodedInput }),
      points,
      publicSignals,
      quantizedInput: x,
      quantizedOutput: trace.output,
      timings: {
        queueSeconds: reply.queueMs / 1000,
        witnessSeconds,
        proveSeconds,
        totalSeconds: reply.queueMs / 1000 + witnessSeconds + proveSeconds,
      },
    };
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  private run(job: ProveJob, signal?: AbortSignal) {
    return new Promise<Extract<ProveReply, { type: "result" }> & { queueMs: number }>((resolve, reject) => {
      if (signal?.aborted)
        return reject(
          new ZkError("PROVER_CLOSED", "The proof request was aborted.", { cause: signal.reason }),
        );
      if (this.queue.length >= this.opts.maxQueue) {
        return reject(new ZkError("PROVE_FAILED", `The proving queue is full (${this.opts.maxQueue}).`));
      }
      const onAbort = () => {
        const i = this.queue.indexOf(pending);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new ZkError("PROVER_CLOSED", "The proof request was aborted.", { cause: signal?.reason }));
      };
      const pending: Pending = {
        job,
        enqueued: performance.now(),
        resolve: (r) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(pending);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const next = this.queue.shift()!;
      slot.busy = next;
      slot.started = performance.now();
      slot.worker.postMessage(next.job);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(workerUrl());
    const slot: Slot = { worker, busy: undefined, started: 0 };
    worker.on("message", (reply: ProveReply) => {
      const load = this.loads.get(reply.id);
      if (load) {
        this.loads.delete(reply.id);
        if (reply.type === "error")
          load.reject(
            new ZkError("ARTIFACT_MISSING", "Loading the circuit failed.", { details: reply.message }),
          );
        else load.resolve();
        return;
      }
      const p = slot.busy;
      if (!p || p.job.id !== reply.id) return;
      slot.busy = undefined;
      if (reply.type === "result") p.resolve({ ...reply, queueMs: slot.started - p.enqueued });
      else if (reply.type === "error")
        p.reject(new ZkError("PROVE_FAILED", "Proving failed.", { details: reply.message }));
      this.dispatch();
    });
    worker.on("error", (err) => {
      slot.busy?.reject(new ZkError("PROVE_FAILED", "The proving worker crashed.", { cause: err }));
      slot.busy = undefined;
    });
    worker.on("exit", () => {
      // Replace a worker that died while the prover runs.
      const i = this.slots.indexOf(slot);
      if (i >= 0 && this.running) {
        slot.busy?.reject(new ZkError("PROVE_FAILED", "The proving worker exited."));
        this.slots[i] = this.spawn();
        this.dispatch();
      }
    });
    return slot;
  }
}
