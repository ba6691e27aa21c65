import { availableParallelism } from "node:os";
import { allocTensorData, type Logger, noopLogger, type Tensor, type TensorMap } from "@opg/protocol";
import { type GaugeMetric, type HistogramMetric, type InferenceMetrics, noopMetrics } from "./deps.js";
import { InferenceError, InferenceRetryableError } from "./errors.js";
import {
  type CudaAvailability,
  createSession,
  resolveProviders,
  type SessionTuning,
} from "./executionProviders.js";
import { inferenceMetricDefs } from "./inferenceMetrics.js";
import { inspectModel } from "./inspectModel.js";
import { LruCache } from "./LruCache.js";
import {
  type BatchingOptions,
  defaultBatchingOptions,
  ModelRunner,
  type RunnerMetrics,
  type RunResult,
} from "./ModelRunner.js";
import { type ModelConfig, type ModelEntry, ModelStore } from "./ModelStore.js";
import { type ModelId, parseModelId } from "./modelId.js";
import { hasBatchDim, ioKey, type ModelIo } from "./modelIo.js";
import { QueueBudget } from "./QueueBudget.js";
import { SessionReplicas } from "./SessionReplicas.js";
import { type EngineSession, InProcessSession } from "./session.js";
import { defaultInputLimits, type InputLimits, validateInputs } from "./validateInputs.js";
import { WorkerSession } from "./worker/WorkerSession.js";

export type InferenceEngineOptions = {
  /** Model store directory (`.onnx` files + `manifest.json`). */
  modelDir: string;
  /** Execution providers in order of preference; unusable ones are skipped (cpu always works). */
  executionProviders: string[];
  cudaDeviceId: number;
  /**
   * onnxruntime intra-op threads per session. Undefined: in worker threads, the cores but one
   * shared among a model's sessions, at least one each (one model session per core: one thread
   * each); in process, onnxruntime's default (one per core).
   */
  intraOpNumThreads: number | undefined;
  /**
   * Sessions serving one model, each in its own worker thread, a run going to the least busy.
   * Undefined: one per core for a model whose copies fit its share of `maxLoadedBytes` (fewer for
   * larger ones); one on CUDA or in process. Never more than `maxLoadedBytes` holds.
   */
  sessionsPerModel: number | undefined;
  /** onnxruntime inter-op threads per session (undefined: onnxruntime's default). */
  interOpNumThreads: number | undefined;
  /** Whether intra-op threads spin between runs (undefined: onnxruntime's default, they do). */
  intraOpSpinning?: boolean | undefined;
  graphOptimizationLevel: SessionTuning["graphOptimizationLevel"];
  /** Most sessions kept loaded (least recently used evicted first). */
  maxLoadedModels: number;
  /** Most total bytes of model files with a live session. */
  maxLoadedBytes: number;
  /** Most requests waiting (not yet running), over all models; beyond it requests get BUSY. */
  maxQueued: number;
  /**
   * Runs in flight at once per session of a model. A session runs one at a time; with two, the
   * next waits in its worker and starts the moment the last returns, not a round trip later.
   */
  maxInFlightPerModel: number;
  /** Default time for one request, load and queue included. */
  requestTimeoutMs: number;
  /** Dynamic batching defaults (per-model settings in the manifest override them). */
  batching: BatchingOptions;
  /** Limits on request inputs. */
  limits: InputLimits;
  /** Run each model once on zero inputs when it is loaded. */
  warmup: boolean;
  /** Models loaded at start. */
  preload: string[];
  /**
   * Run each session in its own worker thread (onnxruntime-node runs synchronously on the calling
   * thread), so the daemon's event loop keeps serving while models run; false: on the main thread.
   */
  runInWorker: boolean;
};

export const defaultInferenceEngineOptions: InferenceEngineOptions = {
  modelDir: "models",
  executionProviders: ["cuda", "cpu"],
  cudaDeviceId: 0,
  intraOpNumThreads: undefined,
  sessionsPerModel: undefined,
  interOpNumThreads: undefined,
  graphOptimizationLevel: "all",
  maxLoadedModels: 4,
  maxLoadedBytes: 4 * 1024 ** 3,
  maxQueued: 256,
  maxInFlightPerModel: 2,
  requestTimeoutMs: 30_000,
  batching: defaultBatchingOptions,
  limits: defaultInputLimits,
  warmup: true,
  preload: [],
  runInWorker: true,
};

export type InferenceEngineDeps = {
  logger?: Logger | undefined;
  metrics?: InferenceMetrics | undefined;
  /** A store to use instead of one opened on `modelDir`. */
  store?: ModelStore | undefined;
};

export type InferOptions = {
  /** Cancels the request (queued: removed; running: result dropped). */
  signal?: AbortSignal | undefined;
  /** Overrides `requestTimeoutMs` for this request. */
  timeoutMs?: number | undefined;
};

export type InferResult = RunResult & { modelId: ModelId; provider: string };

export type LoadedModelInfo = {
  modelId: ModelId;
  name: string;
  provider: string;
  bytes: number;
  /** Sessions serving it (each holds a copy of the model). */
  sessions: number;
  batching: boolean;
  queued: number;
  inFlight: number;
};

type LoadedModel = {
  entry: ModelEntry;
  session: EngineSession;
  sessions: number;
  io: ModelIo;
  /** The session's metadata equals the manifest's (so manifest-based validation suffices). */
  ioMatches: boolean;
  provider: string;
  runner: ModelRunner;
  users: number;
  retired: boolean;
  released: Promise<void> | undefined;
};

/**
 * The onnxruntime-node engine module: model store, provider selection (CUDA → CPU), LRU of live
 * sessions, input validation, bounded queue with timeouts, cancellation and dynamic batching.
 */
export class InferenceEngine {
  readonly name = "inference";
  readonly options: InferenceEngineOptions;
  readonly store: ModelStore;
  private readonly logger: Logger;
  private readonly budget: QueueBudget;
  private readonly cache: LruCache<ModelId, LoadedModel>;
  private readonly loading = new Map<ModelId, Promise<LoadedModel>>();
  private readonly retiring = new Set<LoadedModel>();
  private providers: string[] = [];
  private cuda: CudaAvailability | undefined;
  private running = false;
  private readonly runnerMetrics: RunnerMetrics;
  private readonly providerInfo: GaugeMetric;
  private readonly loadedModels: GaugeMetric;
  private readonly loadedBytes: GaugeMetric;
  private readonly loadDuration: HistogramMetric;
  private readonly evictions;

  constructor(options: Partial<InferenceEngineOptions>, deps: InferenceEngineDeps = {}) {
    this.options = { ...defaultInferenceEngineOptions, ...options };
    checkOptions(this.options);
    this.logger = (deps.logger ?? noopLogger).child({ module: "inference" });
    this.store =
      deps.store ??
      new ModelStore({ dir: this.options.modelDir }, { logger: deps.logger, inspect: inspectModel });
    this.budget = new QueueBudget(this.options.maxQueued);
    this.cache = new LruCache(
      { maxEntries: this.options.maxLoadedModels, maxSize: this.options.maxLoadedBytes },
      (model) => model.entry.bytes * model.sessions,
    );
    const m = deps.metrics ?? noopMetrics;
    const d = inferenceMetricDefs;
    this.runnerMetrics = {
      queueDepth: m.gauge(d.queueDepth),
      runDuration: m.histogram(d.runDuration),
      batchSize: m.histogram(d.batchSize),
      rejectedBusy: m.counter(d.rejectedBusy),
      requests: m.counter(d.requests),
    };
    this.providerInfo = m.gauge(d.providerInfo);
    this.loadedModels = m.gauge(d.loadedModels);
    this.loadedBytes = m.gauge(d.loadedBytes);
    this.loadDuration = m.histogram(d.loadDuration);
    this.evictions = m.counter(d.evictions);
  }

  /** The execution provider in use (the most preferred usable one); `undefined` before start. */
  get provider(): string | undefined {
    return this.providers[0];
  }

  /** Usable providers in preference order, resolved at start. */
  get usableProviders(): readonly string[] {
    return this.providers;
  }

  async start(): Promise<void> {
    await this.store.open();
    const resolved = await resolveProviders(this.options.executionProviders, this.tuning(), this.logger);
    this.providers = resolved.providers;
    this.cuda = resolved.cuda;
    this.providerInfo.set({ provider: this.providers[0] as string }, 1);
    this.running = true;
    this.logger.info(
      {
        provider: this.provider,
        providers: this.providers,
        cuda: this.cuda.available,
        cudaReason: this.cuda.reason,
      },
      "inference engine started",
    );
    for (const modelId of this.options.preload) await this.load(modelId);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled([...this.loading.values()]);
    const closing = new InferenceRetryableError("SHUTTING_DOWN", "Inference engine is stopping");
    const models = [...this.cache.entries()].map(([, model]) => model);
    for (const model of models) model.runner.close(closing);
    for (const model of models) this.cache.delete(model.entry.modelId);
    const retiring = [...this.retiring];
    for (const model of retiring) model.runner.close(closing);
    await Promise.all([...models, ...retiring].map((model) => this.release(model)));
    this.updateLoadedGauges();
  }

  ready(): boolean {
    return this.running;
  }

  health(): Record<string, unknown> {
    return {
      provider: this.provider,
      providers: this.providers,
      cuda: this.cuda ? { available: this.cuda.available, reason: this.cuda.reason } : undefined,
      models: this.store.list().length,
      loaded: this.loaded().map((m) => ({ modelId: m.modelId, name: m.name, provider: m.provider })),
      queued: this.budget.size,
      maxQueued: this.budget.max,
    };
  }

  /** Models with a live session, least recently used first. */
  loaded(): LoadedModelInfo[] {
    return this.cache.entries().map(([modelId, model]) => info(modelId, model));
  }

  /** Copies a model into the store (see `ModelStore.add`). */
  addModel(source: string | Uint8Array, options: { name?: string } & ModelConfig = {}): Promise<ModelEntry> {
    return this.store.add(source, options);
  }

  /** Unloads and deletes a model. */
  async removeModel(modelId: string): Promise<boolean> {
    await this.unload(modelId);
    return this.store.remove(modelId);
  }

  /** Loads a model (verify hash, create session, warm up) unless it is loaded already. */
  async load(modelId: string): Promise<LoadedModelInfo> {
    this.assertRunning();
    const id = parseModelId(modelId);
    return info(id, await this.acquire(id));
  }

  /** Drops a model's session once its requests are done; returns false when it was not loaded. */
  async unload(modelId: string): Promise<boolean> {
    const id = parseModelId(modelId);
    const model = this.cache.delete(id);
    if (!model) return false;
    this.retire(model);
    await model.released;
    return true;
  }

  /**
   * Runs `modelId` on `inputs`. Inputs are validated against the model's metadata first; the
   * request then waits in the bounded queue (BUSY when full), possibly batched with others.
   */
  async infer(modelId: string, inputs: TensorMap, options: InferOptions = {}): Promise<InferResult> {
    this.assertRunning();
    const id = parseModelId(modelId);
    const entry = this.store.require(id);
    validateInputs(inputs, entry.inputs, this.options.limits);
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    if (this.budget.full) {
      this.runnerMetrics.rejectedBusy.inc({ model: id });
      this.runnerMetrics.requests.inc({ model: id, outcome: "busy" });
      throw new InferenceRetryableError("BUSY", "Inference queue is full", {
        details: `${this.budget.max} requests are already waiting; retry later.`,
      });
    }
    // A model evicted between its load and our use is loaded again (bounded).
    for (let attempt = 0; ; attempt++) {
      const model = await this.withDeadline(this.acquire(id), deadline, timeoutMs, options.signal);
      if (model.retired) {
        if (attempt < 3) continue;
        throw new InferenceRetryableError("BUSY", "Model cache is thrashing; too many models for its bounds");
      }
      model.users++;
      try {
        if (!model.ioMatches) validateInputs(inputs, model.io.inputs, this.options.limits);
        const result = await model.runner.submit(inputs, {
          signal: options.signal,
          timeoutMs: Math.max(0, deadline - performance.now()),
        });
        return { ...result, modelId: id, provider: model.provider };
      } finally {
        model.users--;
        if (model.retired && model.users === 0) void this.release(model);
      }
    }
  }

  /**
   * The sessions a CPU model of `bytes` gets and the intra-op threads of each (undefined:
   * onnxruntime's default). See `sessionsPerModel` and `intraOpNumThreads`.
   */
  sessionPlan(bytes: number): { sessions: number; intraOpThreads: number | undefined } {
    const { sessionsPerModel, runInWorker, intraOpNumThreads, maxLoadedBytes, maxLoadedModels } =
      this.options;
    const cores = availableParallelism();
    // On CUDA the device does the work: one session (the provider is known once started).
    const onCpu = (this.providers[0] ?? "cpu") === "cpu";
    const size = Math.max(1, bytes);
    const fits = Math.max(1, Math.floor(maxLoadedBytes / size));
    const share = Math.max(1, Math.floor(maxLoadedBytes / maxLoadedModels / size));
    const sessions = runInWorker && onCpu ? Math.min(fits, sessionsPerModel ?? Math.min(cores, share)) : 1;
    const intraOpThreads =
      intraOpNumThreads ?? (runInWorker ? Math.max(1, Math.floor((cores - 1) / sessions)) : undefined);
    return { sessions, intraOpThreads };
  }

  private tuning(intraOpThreads = this.sessionPlan(1).intraOpThreads): SessionTuning {
    return {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: this.options.interOpNumThreads,
      intraOpSpinning: this.options.intraOpSpinning,
      graphOptimizationLevel: this.options.graphOptimizationLevel,
      cudaDeviceId: this.options.cudaDeviceId,
    };
  }

  private assertRunning(): void {
    if (!this.running) throw new InferenceError("NOT_RUNNING", "Inference engine is not running");
  }

  private acquire(id: ModelId): Promise<LoadedModel> {
    if (!this.running) {
      return Promise.reject(new InferenceRetryableError("SHUTTING_DOWN", "Inference engine is stopping"));
    }
    const cached = this.cache.get(id);
    if (cached) return Promise.resolve(cached);
    let loading = this.loading.get(id);
    if (!loading) {
      loading = this.loadModel(id).finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  private async loadModel(id: ModelId): Promise<LoadedModel> {
    const entry = this.store.require(id);
    if (entry.bytes > this.options.maxLoadedBytes) {
      throw new InferenceError(
        "MODEL_TOO_LARGE",
        `Model ${id} (${entry.bytes} bytes) exceeds maxLoadedBytes`,
        {
          details: `Raise maxLoadedBytes above ${entry.bytes} (now ${this.options.maxLoadedBytes}).`,
        },
      );
    }
    const begin = performance.now();
    const bytes = await this.store.readVerified(id);
    const plan = this.sessionPlan(entry.bytes);
    const session = await this.createSessions(id, bytes, plan);
    const { io, provider } = session;
    const sessions = session instanceof SessionReplicas ? session.size : 1;
    try {
      if (this.options.warmup) await this.warmUp(entry, session, sessions, io, provider);
      if (!this.running) throw new InferenceRetryableError("SHUTTING_DOWN", "Inference engine is stopping");
    } catch (error) {
      await session.release();
      throw error;
    }
    const batching: BatchingOptions = { ...this.options.batching, ...entry.batch };
    const batchable = hasBatchDim(io);
    if (batching.enabled && !batchable) {
      this.logger.info(
        { modelId: id, name: entry.name },
        "model has no symbolic batch dim; batching off for it",
      );
    }
    const runner = new ModelRunner(
      {
        maxInFlight: this.options.maxInFlightPerModel * sessions,
        batching: { ...batching, enabled: batching.enabled && batchable },
      },
      {
        session,
        budget: this.budget,
        logger: this.logger,
        metrics: this.runnerMetrics,
        labels: { model: id, provider },
      },
    );
    const model: LoadedModel = {
      entry,
      session,
      sessions,
      io,
      ioMatches: ioKey(io) === ioKey({ inputs: entry.inputs, outputs: entry.outputs }),
      provider,
      runner,
      users: 0,
      retired: false,
      released: undefined,
    };
    if (!model.ioMatches) {
      this.logger.warn({ modelId: id }, "manifest metadata differs from the session's; using the session's");
    }
    for (const [evictedId, evicted] of this.cache.set(id, model)) {
      this.evictions.inc({});
      this.logger.info({ modelId: evictedId, name: evicted.entry.name }, "session evicted (LRU)");
      this.retire(evicted);
    }
    this.updateLoadedGauges();
    const seconds = (performance.now() - begin) / 1000;
    this.loadDuration.observe({ provider }, seconds);
    this.logger.info(
      {
        modelId: id,
        name: entry.name,
        provider,
        sessions,
        intraOpThreads: plan.intraOpThreads ?? "default",
        ms: Math.round(seconds * 1000),
        batching: runner.batching,
      },
      "model loaded",
    );
    return model;
  }

  /**
   * The model's sessions as the plan says (more than one only on the CPU): the first along the
   * providers, the others beside it on the same provider.
   */
  private async createSessions(
    id: ModelId,
    bytes: Uint8Array,
    plan: { sessions: number; intraOpThreads: number | undefined },
  ): Promise<EngineSession> {
    const first = await this.createSession(id, bytes, this.providers, plan.intraOpThreads);
    if (plan.sessions === 1) return first;
    const rest = await Promise.allSettled(
      Array.from({ length: plan.sessions - 1 }, () =>
        this.createSession(id, bytes, [first.provider], plan.intraOpThreads),
      ),
    );
    const made = [first, ...rest.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))];
    const failed = rest.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      await Promise.all(made.map((s) => s.release()));
      throw failed.reason;
    }
    return new SessionReplicas(made);
  }

  private async createSession(
    id: ModelId,
    bytes: Uint8Array,
    providers: string[],
    intraOpThreads: number | undefined,
  ): Promise<EngineSession> {
    if (this.options.runInWorker) {
      return WorkerSession.create(bytes, {
        providers,
        tuning: this.tuning(intraOpThreads),
        logger: this.logger,
        source: () => this.store.readVerified(id),
      });
    }
    const { session, provider } = await createSession(
      bytes,
      providers,
      this.tuning(intraOpThreads),
      this.logger,
    );
    return new InProcessSession(session, provider);
  }

  private async warmUp(
    entry: ModelEntry,
    session: EngineSession,
    sessions: number,
    io: ModelIo,
    provider: string,
  ): Promise<void> {
    const shapes = entry.warmup?.inputs;
    const inputs: TensorMap = {};
    for (const spec of io.inputs) {
      if (spec.dtype === null) {
        this.logger.debug(
          { modelId: entry.modelId, input: spec.name },
          "warm-up skipped: unsupported input type",
        );
        return;
      }
      const dims = shapes?.[spec.name] ?? spec.shape.map((d) => (typeof d === "number" ? d : 1));
      const length = dims.reduce((a, b) => a * b, 1);
      inputs[spec.name] = { dtype: spec.dtype, dims, data: allocTensorData(spec.dtype, length) } as Tensor;
    }
    try {
      // Every session of the model once (a run goes to the least busy).
      await Promise.all(Array.from({ length: sessions }, () => session.run(inputs)));
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 300) : String(error);
      if (shapes) {
        throw new InferenceError("WARMUP_FAILED", `Warm-up of ${entry.modelId} failed`, {
          details: reason,
          cause: error,
        });
      }
      this.logger.warn(
        { modelId: entry.modelId, provider, reason },
        "warm-up on derived shapes failed; set warm-up shapes for this model",
      );
    }
  }

  private retire(model: LoadedModel): void {
    if (model.retired) return;
    model.retired = true;
    this.retiring.add(model);
    this.updateLoadedGauges();
    if (model.users === 0) void this.release(model);
  }

  /** Releases a session once its runner is idle (idempotent). */
  private release(model: LoadedModel): Promise<void> {
    model.retired = true;
    model.released ??= (async () => {
      await model.runner.idle();
      model.runner.close(new InferenceRetryableError("SHUTTING_DOWN", "Model was unloaded"));
      try {
        await model.session.release();
      } catch (error) {
        this.logger.warn({ err: error, modelId: model.entry.modelId }, "session release failed");
      }
      this.retiring.delete(model);
    })();
    return model.released;
  }

  private updateLoadedGauges(): void {
    this.loadedModels.set({}, this.cache.count);
    this.loadedBytes.set({}, this.cache.totalSize);
  }

  private async withDeadline<T>(
    promise: Promise<T>,
    deadline: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (signal?.aborted)
      throw new InferenceError("ABORTED", "Inference was cancelled", { cause: signal.reason });
    if (deadline <= performance.now()) {
      throw new InferenceRetryableError("TIMEOUT", `Inference timed out after ${timeoutMs} ms`);
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InferenceRetryableError("TIMEOUT", `Inference timed out after ${timeoutMs} ms (loading)`),
          ),
        Math.min(MAX_TIMER_MS, Math.max(0, deadline - performance.now())),
      );
      onAbort = () =>
        reject(new InferenceError("ABORTED", "Inference was cancelled", { cause: signal?.reason }));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, guard]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }
}

function info(modelId: ModelId, model: LoadedModel): LoadedModelInfo {
  return {
    modelId,
    name: model.entry.name,
    provider: model.provider,
    bytes: model.entry.bytes,
    sessions: model.sessions,
    batching: model.runner.batching,
    queued: model.runner.queued,
    inFlight: model.runner.inFlight,
  };
}

/** Longest delay setTimeout accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkOptions(options: InferenceEngineOptions): void {
  const positive: [string, number][] = [
    ["maxLoadedModels", options.maxLoadedModels],
    ["maxInFlightPerModel", options.maxInFlightPerModel],
    ["batching.maxBatchSize", options.batching.maxBatchSize],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const nonNegative: [string, number][] = [
    ["maxQueued", options.maxQueued],
    ["maxLoadedBytes", options.maxLoadedBytes],
    ["requestTimeoutMs", options.requestTimeoutMs],
    ["batching.maxWaitMs", options.batching.maxWaitMs],
  ];
  for (const [name, value] of nonNegative) {
    if (!(value >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
  if (options.executionProviders.length === 0) throw new RangeError("executionProviders must not be empty");
  const sessions = options.sessionsPerModel;
  if (sessions !== undefined && (!Number.isInteger(sessions) || sessions < 1))
    throw new RangeError(`sessionsPerModel must be a positive integer, got ${sessions}`);
}
