import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "@opg/protocol";
import { allocTensorData, type Tensor, type TensorMap } from "@opg/protocol";
import { InferenceError } from "../errors.js";
import { type SessionTuning, sessionOptions } from "../executionProviders.js";
import { ioFromMetadata, type ModelIo } from "../modelIo.js";
import { dtypeFromOrt } from "../ortTensor.js";
import type { EngineSession } from "../session.js";
import type { WireTensor, WorkerReply, WorkerRequest } from "./sessionWorker.js";

function defaultWorkerUrl(): URL {
  const ts = new URL("./sessionWorker.ts", import.meta.url);
  // From sources (tests, tsx) run the .ts worker with Node's type stripping; from dist/ the .js.
  return import.meta.url.endsWith(".ts") && existsSync(fileURLToPath(ts))
    ? ts
    : new URL("./sessionWorker.js", import.meta.url);
}

export type WorkerSessionOptions = {
  /** Providers in order of preference; the first that loads the model is used. */
  providers: readonly string[];
  tuning: SessionTuning;
  logger: Logger;
  /** The model's bytes, read again (and verified) when a crashed worker is replaced. */
  source: () => Promise<Uint8Array>;
  /** The worker script (tests substitute their own). */
  workerUrl?: URL | undefined;
};

type Pending = { resolve: (outputs: TensorMap) => void; reject: (error: unknown) => void };

type Thread = {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Settles the load request. */
  loaded: (reply: WorkerReply | Error) => void;
  dead: boolean;
};

/**
 * An onnxruntime session owned by a `worker_threads` worker, so runs leave the caller's event loop
 * free (hashing, signing, storage and gossip overlap inference). Inputs are copied to the worker,
 * outputs transferred back without copies. A run's failure surfaces as an `InferenceError`
 * (`RUN_FAILED`, `OUTPUT_UNSUPPORTED`); a worker that dies fails its runs with `RUN_FAILED` and is
 * replaced on the next run.
 */
export class WorkerSession implements EngineSession {
  private thread: Thread | undefined;
  private restarting: Promise<Thread> | undefined;
  private nextId = 0;
  private released = false;

  private constructor(
    private readonly options: WorkerSessionOptions,
    readonly provider: string,
    readonly io: ModelIo,
    thread: Thread,
  ) {
    this.thread = thread;
  }

  /** Starts a worker and loads `model` there, falling back along `options.providers`. */
  static async create(model: Uint8Array, options: WorkerSessionOptions): Promise<WorkerSession> {
    const { thread, provider, io } = await spawn(model, options, options.providers);
    return new WorkerSession(options, provider, io, thread);
  }

  /** Runs queued in the worker (waiting or running). */
  get inFlight(): number {
    return this.thread?.pending.size ?? 0;
  }

  async run(inputs: TensorMap): Promise<TensorMap> {
    if (this.released) throw new InferenceError("RUN_FAILED", "Session was released");
    const thread = this.thread && !this.thread.dead ? this.thread : await this.restart();
    const id = this.nextId++;
    // One copy of each input (the caller keeps its own), moved to the worker without another.
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(inputs)) {
      const data = allocTensorData(t.dtype, t.data.length);
      data.set(t.data as never);
      wire[name] = { type: t.dtype, dims: t.dims, data };
      transfer.push(data.buffer as ArrayBuffer);
    }
    return new Promise<TensorMap>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ type: "run", id, inputs: wire } satisfies WorkerRequest, transfer);
    });
  }

  /** Releases the session and ends the worker; runs still queued there finish first. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const thread = this.thread ?? (await this.restarting?.catch(() => undefined));
    this.thread = undefined;
    if (!thread || thread.dead) return;
    const exited = new Promise<void>((resolve) => thread.worker.once("exit", () => resolve()));
    thread.worker.postMessage({ type: "release" } satisfies WorkerRequest);
    const timer = setTimeout(() => void thread.worker.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** A fresh worker with the provider the session was created on (one restart at a time). */
  private restart(): Promise<Thread> {
    this.restarting ??= (async () => {
      this.options.logger.warn({ provider: this.provider }, "replacing the crashed inference worker");
      const model = await this.options.source();
      const { thread } = await spawn(model, this.options, [this.provider]);
      if (this.released) {
        void thread.worker.terminate();
        throw new InferenceError("RUN_FAILED", "Session was released");
      }
      this.thread = thread;
      return thread;
    })().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }
}

async function spawn(
  model: Uint8Array,
  options: WorkerSessionOptions,
  providers: readonly string[],
): Promise<{ thread: Thread; provider: string; io: ModelIo }> {
  const worker = new Worker(options.workerUrl ?? defaultWorkerUrl());
  let settleLoad: (reply: WorkerReply | Error) => void = () => {};
  const loadReply = new Promise<WorkerReply | Error>((resolve) => {
    settleLoad = resolve;
  });
  const thread: Thread = { worker, pending: new Map(), loaded: settleLoad, dead: false };
  const die = (error: Error) => {
    if (thread.dead) return;
    thread.dead = true;
    thread.loaded(error);
    const failure = new InferenceError("RUN_FAILED", "Inference worker crashed", {
      details: error.message,
      cause: error,
    });
    for (const pending of thread.pending.values()) pending.reject(failure);
    thread.pending.clear();
  };
  worker.on("message", (reply: WorkerReply) => onReply(thread, reply));
  worker.on("error", (error) => {
    options.logger.error({ err: error }, "inference worker failed");
    die(error);
  });
  worker.on("exit", (code) => die(new Error(`inference worker exited with code ${code}`)));
  worker.on("messageerror", (error) => die(error));
  const copy = new Uint8Array(model); // a copy (Buffer#slice would be a view), moved to the worker
  worker.postMessage(
    {
      type: "load",
      model: copy,
      attempts: providers.map((provider) => ({
        provider,
        options: sessionOptions(provider, options.tuning),
      })),
    } satisfies WorkerRequest,
    [copy.buffer],
  );
  const reply = await loadReply;
  const failures = reply instanceof Error ? [] : "failures" in reply ? reply.failures : [];
  for (const { provider, message } of failures) {
    options.logger.warn(
      { provider, reason: message.slice(0, 500) },
      "session creation failed on this provider",
    );
  }
  if (reply instanceof Error || reply.type !== "loaded") {
    void worker.terminate();
    throw new InferenceError("SESSION_FAILED", "No execution provider could load the model", {
      details:
        reply instanceof Error
          ? reply.message
          : failures
              .map((f) => `${f.provider}: ${f.message}`)
              .join("; ")
              .slice(0, 2000),
    });
  }
  worker.unref();
  return {
    thread,
    provider: reply.provider,
    io: ioFromMetadata(reply.inputMetadata, reply.outputMetadata),
  };
}

function onReply(thread: Thread, reply: WorkerReply): void {
  if (reply.type === "loaded" || reply.type === "load-failed") {
    thread.loaded(reply);
    return;
  }
  if (reply.type !== "result" && reply.type !== "run-failed") return;
  const pending = thread.pending.get(reply.id);
  if (!pending) return;
  thread.pending.delete(reply.id);
  if (thread.pending.size === 0) thread.worker.unref();
  if (reply.type === "run-failed") {
    pending.reject(
      reply.unsupported
        ? new InferenceError("OUTPUT_UNSUPPORTED", reply.message)
        : new InferenceError("RUN_FAILED", "Model run failed", { details: reply.message }),
    );
    return;
  }
  try {
    pending.resolve(fromWire(reply.outputs));
  } catch (error) {
    pending.reject(error);
  }
}

function fromWire(outputs: Record<string, WireTensor>): TensorMap {
  const map: TensorMap = {};
  for (const [name, t] of Object.entries(outputs)) {
    const dtype = dtypeFromOrt(t.type);
    if (dtype === undefined) {
      throw new InferenceError("OUTPUT_UNSUPPORTED", `Output "${name}" has unsupported type ${t.type}`);
    }
    const d = t.data;
    const data =
      dtype === "float16" && !(d instanceof Uint16Array)
        ? new Uint16Array(d.buffer, d.byteOffset, d.byteLength / 2)
        : dtype === "bool" && !(d instanceof Uint8Array)
          ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
          : d;
    map[name] = { dtype, dims: t.dims, data } as unknown as Tensor;
  }
  return map;
}
