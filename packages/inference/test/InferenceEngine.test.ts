import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TensorMap } from "@opg/protocol";
import { addModel, matmulModel, symbolicKModel, transposeModel } from "@opg/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  InferenceEngine,
  type InferenceEngineOptions,
  InferenceError,
  InferenceRetryableError,
  type InferResult,
  InputValidationError,
} from "../src/index.js";
import { FakeMetrics, memoryLogger, randomFloats, sameBits, tempDir } from "./helpers.js";

const engines: InferenceEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

async function startEngine(options: Partial<InferenceEngineOptions> = {}) {
  const metrics = new FakeMetrics();
  const { logger, entries } = memoryLogger();
  const engine = new InferenceEngine(
    { modelDir: tempDir(), intraOpNumThreads: 1, interOpNumThreads: 1, sessionsPerModel: 1, ...options },
    { logger, metrics },
  );
  engines.push(engine);
  await engine.start();
  return { engine, metrics, entries };
}

const addInputs = (rows: number, a: number, b: number): TensorMap => ({
  A: { dtype: "float32", dims: [rows, 3], data: new Float32Array(rows * 3).fill(a) },
  B: { dtype: "float32", dims: [rows, 3], data: new Float32Array(rows * 3).fill(b) },
});

const matmulInput = (rows: number, seed: number): TensorMap => ({
  X: { dtype: "float32", dims: [rows, 4], data: randomFloats(rows * 4, seed) },
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("InferenceEngine", () => {
  it("default", async () => {
    const { engine, metrics } = await startEngine();
    const { modelId } = await engine.addModel(addModel(), { name: "add" });
    const result = await engine.infer(modelId, addInputs(2, 1.5, 2));
    expect(result.outputs["C"]).toEqual({
      dtype: "float32",
      dims: [2, 3],
      data: new Float32Array(6).fill(3.5),
    });
    expect(result).toMatchObject({ modelId, provider: "cpu", batchRows: 2, batchRequests: 1 });
    expect(engine.provider).toBe("cpu");
    expect(engine.ready()).toBe(true);
    expect(engine.health()).toMatchObject({
      provider: "cpu",
      models: 1,
      loaded: [{ modelId, name: "add", provider: "cpu" }],
    });
    expect(metrics.values.get("opg_inference_provider_info{provider=cpu}")).toBe(1);
    expect(metrics.values.get(`opg_inference_requests_total{model=${modelId},outcome=ok}`)).toBe(1);
    expect(
      metrics.observations.get(`opg_inference_run_duration_seconds{model=${modelId},provider=cpu}`),
    ).toHaveLength(1);
    expect(metrics.names).toEqual(
      expect.arrayContaining([
        "opg_inference_queue_depth",
        "opg_inference_run_duration_seconds",
        "opg_inference_batch_size",
        "opg_inference_rejected_busy_total",
        "opg_inference_provider_info",
      ]),
    );
  });

  it("error: invalid inputs are refused before the model is even loaded", async () => {
    const { engine } = await startEngine();
    const { modelId } = await engine.addModel(addModel());
    const inputs = {
      ...addInputs(1, 1, 1),
      B: { dtype: "float64", dims: [1, 3], data: new Float64Array(3) },
    } as TensorMap;
    const error = await errorOf(engine.infer(modelId, inputs));
    expect(error).toBeInstanceOf(InputValidationError);
    expect(error).toMatchObject({ code: "DTYPE_MISMATCH", input: "B" });
    expect(engine.loaded()).toEqual([]);
    const mismatch = await errorOf(
      engine.infer(modelId, { A: addInputs(1, 1, 1)["A"], B: addInputs(2, 1, 1)["B"] } as TensorMap),
    );
    expect(mismatch).toMatchObject({ code: "DIM_MISMATCH" });
  });

  it("error: unknown model, malformed id, engine not running", async () => {
    const { engine } = await startEngine();
    expect(await errorOf(engine.infer(`0x${"00".repeat(32)}`, {}))).toMatchObject({
      code: "MODEL_NOT_FOUND",
    });
    expect(await errorOf(engine.infer("model.onnx", {}))).toMatchObject({ code: "INVALID_MODEL_ID" });
    const stopped = new InferenceEngine({ modelDir: tempDir() });
    expect(await errorOf(stopped.infer(`0x${"00".repeat(32)}`, {}))).toMatchObject({ code: "NOT_RUNNING" });
  });

  it("behavior: LRU eviction by model count, and reload on next use", async () => {
    const { engine, metrics } = await startEngine({ maxLoadedModels: 1 });
    const add = await engine.addModel(addModel());
    const matmul = await engine.addModel(matmulModel());
    await engine.infer(add.modelId, addInputs(1, 1, 1));
    expect(engine.loaded().map((m) => m.modelId)).toEqual([add.modelId]);
    await engine.infer(matmul.modelId, matmulInput(1, 1));
    expect(engine.loaded().map((m) => m.modelId)).toEqual([matmul.modelId]);
    expect(metrics.values.get("opg_inference_evictions_total")).toBe(1);
    const again = await engine.infer(add.modelId, addInputs(1, 2, 2));
    expect(again.outputs["C"]?.data[0]).toBe(4);
    expect(metrics.values.get("opg_inference_evictions_total")).toBe(2);
    expect(metrics.values.get("opg_inference_loaded_models")).toBe(1);
  });

  it("behavior: LRU eviction by total bytes evicts the least recently used", async () => {
    const sizes = [addModel(), matmulModel(), transposeModel()].map((m) => m.byteLength);
    const { engine } = await startEngine({ maxLoadedBytes: Math.max(...sizes) * 2 + 1, maxLoadedModels: 10 });
    const [add, matmul, transpose] = await Promise.all(
      [addModel(), matmulModel(), transposeModel()].map((m) => engine.addModel(m)),
    );
    await engine.load(add!.modelId);
    await engine.load(matmul!.modelId);
    await engine.load(add!.modelId); // touch: matmul becomes least recently used
    await engine.load(transpose!.modelId);
    expect(engine.loaded().map((m) => m.modelId)).toEqual([add!.modelId, transpose!.modelId]);
  });

  it("error: a model larger than maxLoadedBytes is refused", async () => {
    const { engine } = await startEngine({ maxLoadedBytes: 10 });
    const { modelId } = await engine.addModel(addModel());
    expect(await errorOf(engine.load(modelId))).toMatchObject({ code: "MODEL_TOO_LARGE" });
  });

  it("error: a model whose file no longer matches its id is refused on load", async () => {
    const { engine, entries } = await startEngine();
    const { modelId, file } = await engine.addModel(addModel());
    const path = join(engine.store.dir, file);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0])]));
    const error = await errorOf(engine.infer(modelId, addInputs(1, 1, 1)));
    expect(error).toBeInstanceOf(InferenceError);
    expect(error).toMatchObject({ code: "MODEL_ID_MISMATCH" });
    expect(engine.loaded()).toEqual([]);
    expect(entries.some((e) => e.level === "error" && e.msg?.includes("does not match its id"))).toBe(true);
  });

  it("behavior: batched results equal unbatched results exactly", async () => {
    const { engine, metrics } = await startEngine({
      batching: { enabled: true, maxBatchSize: 4, maxWaitMs: 60_000 },
    });
    const { modelId } = await engine.addModel(matmulModel(), { batch: { enabled: false } });
    const inputs = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => matmulInput(1, seed));
    const unbatched: InferResult[] = [];
    for (const input of inputs) unbatched.push(await engine.infer(modelId, input));
    expect(unbatched.every((r) => r.batchRequests === 1)).toBe(true);

    await engine.unload(modelId);
    await engine.store.configure(modelId, { batch: { enabled: true } });
    const batched = await Promise.all(inputs.map((input) => engine.infer(modelId, input)));
    expect(batched.map((r) => r.batchRows)).toEqual([4, 4, 4, 4, 4, 4, 4, 4]);
    batched.forEach((result, i) => {
      const expected = unbatched[i]?.outputs["Y"];
      expect(result.outputs["Y"]?.dims).toEqual([1, 2]);
      expect(sameBits(result.outputs["Y"]!.data, expected!.data)).toBe(true);
    });
    expect(metrics.observations.get(`opg_inference_batch_size{model=${modelId}}`)).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1, 4, 4,
    ]);
  });

  it("behavior: a model whose outputs do not follow dim 0 still answers correctly with batching on", async () => {
    const { engine } = await startEngine({ batching: { enabled: true, maxBatchSize: 4, maxWaitMs: 60_000 } });
    const { modelId } = await engine.addModel(transposeModel());
    const inputs: TensorMap[] = [0, 1, 2, 3].map((i) => ({
      X: { dtype: "float32", dims: [1, 3], data: new Float32Array([i, i + 0.5, i + 0.25]) },
    }));
    const results = await Promise.all(inputs.map((input) => engine.infer(modelId, input)));
    results.forEach((result, i) => {
      expect(result.outputs["Y"]).toEqual({ dtype: "float32", dims: [3, 1], data: inputs[i]?.["X"]?.data });
    });
    expect(engine.loaded()[0]?.batching).toBe(false);
  });

  it("error: a full queue answers BUSY (retryable)", async () => {
    const { engine, metrics } = await startEngine({ maxQueued: 1, maxInFlightPerModel: 1 });
    const { modelId } = await engine.addModel(addModel());
    await engine.load(modelId);
    const calls = [1, 2, 3].map((i) => engine.infer(modelId, addInputs(1, i, 0)));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    const busy = (settled[2] as PromiseRejectedResult).reason;
    expect(busy).toBeInstanceOf(InferenceRetryableError);
    expect(busy).toMatchObject({ code: "BUSY", retryable: true });
    expect(metrics.values.get(`opg_inference_rejected_busy_total{model=${modelId}}`)).toBe(1);
  });

  it("behavior: cancellation of a queued request; the others complete", async () => {
    const { engine } = await startEngine({ maxInFlightPerModel: 1 });
    const { modelId } = await engine.addModel(addModel());
    await engine.load(modelId);
    const controller = new AbortController();
    const first = engine.infer(modelId, addInputs(1, 1, 1));
    const second = engine.infer(modelId, addInputs(1, 2, 2), { signal: controller.signal });
    controller.abort(new Error("client went away"));
    expect(await errorOf(second)).toMatchObject({ code: "ABORTED" });
    expect((await first).outputs["C"]?.data[0]).toBe(2);
  });

  it("error: per-request timeout", async () => {
    const { engine } = await startEngine();
    const { modelId } = await engine.addModel(addModel());
    // No time at all: refused before loading or queueing.
    expect(await errorOf(engine.infer(modelId, addInputs(1, 1, 1), { timeoutMs: 0 }))).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
    });
    expect(engine.loaded()).toEqual([]);
    // A request whose budget runs out while queued behind a slow one: see ModelRunner's tests.
  });

  it("behavior: stop rejects queued requests with SHUTTING_DOWN, then refuses new ones", async () => {
    const { engine } = await startEngine({ maxInFlightPerModel: 1 });
    const { modelId } = await engine.addModel(addModel());
    await engine.load(modelId);
    const calls = [1, 2, 3].map((i) => engine.infer(modelId, addInputs(1, i, i)));
    const stopping = engine.stop();
    const outcomes = await Promise.allSettled(calls);
    await stopping;
    // Whatever had not started running is refused as retryable; nothing fails otherwise.
    for (const outcome of outcomes) {
      if (outcome.status === "rejected")
        expect(outcome.reason).toMatchObject({ code: "SHUTTING_DOWN", retryable: true });
    }
    expect(engine.ready()).toBe(false);
    expect(engine.loaded()).toEqual([]);
    expect(await errorOf(engine.infer(modelId, addInputs(1, 1, 1)))).toMatchObject({ code: "NOT_RUNNING" });
  });

  it("behavior: warm-up uses configured shapes; derived shapes that fail only warn", async () => {
    const { engine, entries } = await startEngine();
    const derived = await engine.addModel(symbolicKModel());
    await engine.load(derived.modelId);
    expect(
      entries.some((e) => e.level === "warn" && e.msg?.startsWith("warm-up on derived shapes failed")),
    ).toBe(true);
    await engine.unload(derived.modelId);
    await engine.store.configure(derived.modelId, { warmup: { inputs: { X: [2, 3] } } });
    expect(await errorOf(engine.load(derived.modelId))).toMatchObject({ code: "WARMUP_FAILED" });
    await engine.store.configure(derived.modelId, { warmup: { inputs: { X: [2, 4] } } });
    expect((await engine.load(derived.modelId)).provider).toBe("cpu");
  });

  it("behavior: preload at start, unload and removeModel", async () => {
    const dir = tempDir();
    const { engine: first } = await startEngine({ modelDir: dir });
    const { modelId } = await first.addModel(addModel());
    await first.stop();
    const { engine } = await startEngine({ modelDir: dir, preload: [modelId] });
    expect(engine.loaded().map((m) => m.modelId)).toEqual([modelId]);
    expect(await engine.unload(modelId)).toBe(true);
    expect(await engine.unload(modelId)).toBe(false);
    expect(await engine.removeModel(modelId)).toBe(true);
    expect(engine.store.list()).toEqual([]);
  });
});

describe("InferenceEngine options", () => {
  it("error: out-of-range options are refused at construction", () => {
    expect(() => new InferenceEngine({ maxInFlightPerModel: 0 })).toThrow(/maxInFlightPerModel/);
    expect(() => new InferenceEngine({ maxQueued: -1 })).toThrow(/maxQueued/);
    expect(() => new InferenceEngine({ batching: { enabled: true, maxBatchSize: 0, maxWaitMs: 1 } })).toThrow(
      /batching.maxBatchSize/,
    );
    expect(() => new InferenceEngine({ executionProviders: [] })).toThrow(/executionProviders/);
  });
});
