import { type Logger, PeriodicTask } from "@opg/daemon";
import {
  decodeResultMessage,
  decodeTensors,
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  type OpgDomain,
  OpgError,
  ProofMode,
  proofModeName,
  type ResultMessage,
  type ResultOrigin,
  resultHash,
  signExecutionResult,
  type TensorMap,
} from "@opg/protocol";
import type { Address, Hex } from "viem";
import type { ExecMetrics } from "../execMetrics.js";
import type { ProofProvider } from "../proof/ProofProvider.js";
import type { ExecStore } from "../store/ExecStore.js";

/** One request to execute, from whichever intake. */
export type ExecJob = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  mode: ProofMode;
  inputs: TensorMap;
  /** Unix seconds. */
  deadline: bigint;
  origin: ResultOrigin;
};

/** What the executor did for a request. */
export type ExecOutcome = {
  message: ResultMessage;
  outputs: TensorMap;
  resultHash: Hex;
  /** False when the stored result of an earlier run was returned (this run's result was dropped). */
  fresh: boolean;
};

/** Runs models: anything with the inference engine's `infer`. */
export interface Runner {
  infer(
    modelId: string,
    inputs: TensorMap,
    options: { signal?: AbortSignal | undefined },
  ): Promise<{ outputs: TensorMap }>;
}

export type ExecutorCoreOptions = {
  /** Open results are gossiped again this often (verifiers that were down catch up)… */
  republishIntervalMs: number;
  /** …for this long after they were produced. */
  republishForMs: number;
  /**
   * Outputs larger than this travel by reference: the gossiped result carries their hash (signed)
   * and no bytes; whoever needs them fetches them by hash (`PAYLOAD_PROTOCOL`). ZK results always
   * carry their outputs (the verifier's proof check binds them).
   */
  inlineOutputBytes: number;
  /** How long payloads gossiped by reference are served after they were made. */
  payloadRetentionMs: number;
  /**
   * How long a result is kept after its request's deadline (then deleted: an expired request is
   * never executed again, so no second result can be signed for it).
   */
  resultRetentionMs: number;
};

export const defaultExecutorCoreOptions: ExecutorCoreOptions = {
  republishIntervalMs: 30_000,
  republishForMs: 600_000,
  inlineOutputBytes: 1024,
  payloadRetentionMs: 24 * 3_600_000,
  resultRetentionMs: 7 * 24 * 3_600_000,
};

export class ExecError extends OpgError<"MODE_NOT_SUPPORTED" | "EXPIRED"> {
  override name = "ExecError";
}

/**
 * The execution path, transport-free: run → canonical output hash → proof → EIP-712 signature →
 * durable record → gossip. A request is executed at most once; asking again returns the stored
 * result, so this executor never signs two outputs for one request.
 */
export class ExecutorCore {
  readonly name = "executor";
  private readonly options: ExecutorCoreOptions;
  private readonly inFlight = new Map<string, Promise<ExecOutcome>>();
  /** Publishes open results again every `republishIntervalMs` (and once on start). */
  private readonly republishing: PeriodicTask;
  private readonly metrics: ExecMetrics | null;

  constructor(
    options: Partial<ExecutorCoreOptions>,
    private readonly deps: {
      store: ExecStore;
      runner: Runner;
      signer: { address: Address; privateKey: Hex };
      domain: OpgDomain;
      providers: ReadonlyMap<number, ProofProvider>;
      publish: (bytes: Uint8Array) => Promise<number>;
      logger: Logger;
      metrics?: ExecMetrics | null | undefined;
      now?: () => number;
    },
  ) {
    this.options = { ...defaultExecutorCoreOptions, ...options };
    this.republishing = new PeriodicTask(
      {
        name: "republish",
        intervalMs: this.options.republishIntervalMs,
        runOnStart: true,
        errorMessage: "republishing results failed; trying again next interval",
      },
      () => this.republishDue(),
      { logger: deps.logger },
    );
    this.metrics = deps.metrics ?? null;
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  start(): void {
    this.republishing.start();
  }

  /** Stops republishing; resolves once a pass in flight has ended. */
  stop(): Promise<void> {
    return this.republishing.stop();
  }

  /** Executes `job` once; concurrent and later calls for the same request share the result. */
  execute(job: ExecJob, signal?: AbortSignal): Promise<ExecOutcome> {
    const key = job.requestId.toLowerCase();
    const stored = this.deps.store.get(job.requestId);
    if (stored) return Promise.resolve(this.fromStored(stored.message));
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.run(job, signal).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  /** The stored result of a request, if this executor produced one. */
  stored(requestId: Hex): ExecOutcome | undefined {
    const record = this.deps.store.get(requestId);
    return record ? this.fromStored(record.message) : undefined;
  }

  private fromStored(bytes: Uint8Array): ExecOutcome {
    const decoded = decodeResultMessage(bytes);
    // Gossiped by reference: the outputs are in the payload store.
    const payload = decoded.outputs.length === 0 ? this.deps.store.payload(decoded.outputHash) : undefined;
    const message = payload ? { ...decoded, outputs: payload } : decoded;
    return {
      message,
      outputs: decodeTensors(message.outputs),
      resultHash: resultHash(message),
      fresh: false,
    };
  }

  private async run(job: ExecJob, signal?: AbortSignal): Promise<ExecOutcome> {
    const mode = proofModeName(job.mode);
    const provider = this.deps.providers.get(job.mode);
    if (!provider) {
      this.metrics?.requests.inc({ mode, result: "unsupported" });
      throw new ExecError("MODE_NOT_SUPPORTED", `This executor does not produce ${mode} proofs.`);
    }
    if (job.deadline * 1000n < BigInt(this.now)) {
      this.metrics?.requests.inc({ mode, result: "expired" });
      throw new ExecError("EXPIRED", `Request ${job.requestId} is past its deadline.`);
    }
    let produced: { outputs: TensorMap; proof: Uint8Array };
    try {
      produced = await provider.produce(job, async () => {
        const r = await this.deps.runner.infer(job.modelId, job.inputs, { signal });
        return r.outputs;
      });
    } catch (err) {
      this.metrics?.requests.inc({ mode, result: "failed" });
      throw err;
    }
    const out = this.seal(job, produced.outputs, produced.proof);
    this.metrics?.requests.inc({ mode, result: "ok" });
    // The result is durable before it is gossiped: answer now, publish in the background (a
    // failed publish is retried by `republish`), so the network never stalls the model queue.
    void this.publish(job.requestId, out.bytes);
    return out;
  }

  /** Hash, sign, store: what happens between the runtime and the network. */
  seal(
    job: ExecJob,
    outputs: TensorMap,
    proof: Uint8Array,
  ): { message: ResultMessage; outputs: TensorMap; resultHash: Hex; fresh: boolean; bytes: Uint8Array } {
    const end = this.metrics?.signPublishDuration.startTimer();
    const encoded = encodeTensors(outputs);
    const signed = {
      requestId: job.requestId,
      modelId: job.modelId,
      inputHash: job.inputHash,
      outputHash: hashEncodedTensors(encoded),
      mode: job.mode,
    };
    const message: ResultMessage = {
      ...signed,
      executor: this.deps.signer.address,
      outputs: encoded,
      proof,
      signature: signExecutionResult(this.deps.signer.privateKey, this.deps.domain, signed),
      origin: job.origin,
    };
    const byReference = encoded.length > this.options.inlineOutputBytes && job.mode !== ProofMode.ZK;
    if (byReference) this.deps.store.putPayload(signed.outputHash, encoded, this.now);
    // What is gossiped and stored: the signed header and proof, the outputs only when small.
    const bytes = encodeResultMessage(byReference ? { ...message, outputs: new Uint8Array(0) } : message);
    const earlier = this.deps.store.put({
      requestId: job.requestId,
      modelId: job.modelId,
      mode: job.mode,
      message: bytes,
      deadline: Number(job.deadline),
      createdAt: this.now,
    });
    end?.();
    if (earlier) {
      // Another run stored its result first: that one stands.
      return { ...this.fromStored(earlier.message), fresh: false, bytes: earlier.message };
    }
    // Computed when asked: the direct intake's answer carries it; on-chain results never need it
    // here (verifiers hash what they receive).
    let hash: Hex | undefined;
    return {
      message,
      outputs,
      get resultHash(): Hex {
        hash ??= resultHash(message);
        return hash;
      },
      fresh: true,
      bytes,
    };
  }

  private async publish(requestId: Hex, bytes: Uint8Array): Promise<number> {
    try {
      const peers = await this.deps.publish(bytes);
      if (peers > 0) this.deps.store.markPublished(requestId, this.now);
      return peers;
    } catch (err) {
      this.deps.logger.warn({ err, requestId }, "publishing the result failed; it will be published again");
      return 0;
    }
  }

  /** Publishes again every open result not published recently (or joins the pass running). */
  republish(): Promise<void> {
    return this.republishing.runNow();
  }

  /** One pass: expiry and retention, then every open result not published recently. */
  private async republishDue(): Promise<void> {
    this.deps.store.expire(Math.floor(this.now / 1000));
    this.deps.store.pruneExpired(Math.floor((this.now - this.options.resultRetentionMs) / 1000));
    this.deps.store.prunePayloads(this.now - this.options.payloadRetentionMs);
    const due = this.deps.store.duePublishing(
      this.now - this.options.republishIntervalMs,
      this.now - this.options.republishForMs,
      500,
    );
    for (const r of due) await this.publish(r.requestId, r.message);
  }
}
