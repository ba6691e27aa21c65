import { isMainThread } from "node:worker_threads";
import type { TensorMap } from "@opg/protocol";
import { addModel } from "@opg/testkit";
import * as ort from "onnxruntime-node";
import { afterEach, describe, expect, it } from "vitest";
import {
  InferenceEngine,
  InferenceError,
  ioFromSession,
  type SessionTuning,
  WorkerSession,
  type WorkerSessionOptions,
} from "../src/index.js";
import { DETECTOR_MODEL, detectorInput, memoryLogger, tempDir } from "./helpers.js";

const tuning: SessionTuning = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  cudaDeviceId: 0,
};

const sessions: WorkerSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.release()));
});

async function open(model: Uint8Array, options: Partial<WorkerSessionOptions> = {}) {
  const { logger, entries } = memoryLogger();
  let sourced = 0;
  const session = await WorkerSession.create(model, {
    providers: ["cpu"],
    tuning,
    logger,
    source: async () => {
      sourced++;
      return model;
    },
    ...options,
  });
  sessions.push(session);
  return { session, entries, sourced: () => sourced };
}

const addInputs = (a: number, b: number): TensorMap => ({
  A: { dtype: "float32", dims: [1, 3], data: new Float32Array(3).fill(a) },
  B: { dtype: "float32", dims: [1, 3], data: new Float32Array(3).fill(b) },
});

const fake = new URL("./fixtures/crashingWorker.mjs", import.meta.url);
const echo = (x: number): TensorMap => ({ X: { dtype: "float32", dims: [1], data: new Float32Array([x]) } });

describe("WorkerSession", () => {
  it("default: runs the model in a worker with the same metadata and outputs as a local session", async () => {
    const model = addModel();
    const { session } = await open(model);
    expect(isMainThread).toBe(true);
    expect(session.provider).toBe("cpu");
    const local = await ort.InferenceSession.create(model);
    expect(session.io).toEqual(ioFromSession(local));
    await local.release();
    const inputs = addInputs(1.5, 2);
    const outputs = await session.run(inputs);
    expect(outputs["C"]).toEqual({ dtype: "float32", dims: [1, 3], data: new Float32Array(3).fill(3.5) });
    // The caller's inputs were copied, not moved.
    expect(inputs["A"]?.data.length).toBe(3);
    // Runs queue in the worker and answer in order.
    const many = await Promise.all([1, 2, 3, 4].map((i) => session.run(addInputs(i, i))));
    expect(many.map((o) => o["C"]?.data[0])).toEqual([2, 4, 6, 8]);
  });

  it("error: a failed run surfaces as RUN_FAILED; the session keeps serving", async () => {
    const { session } = await open(addModel());
    const bad: TensorMap = {
      A: { dtype: "float32", dims: [1, 4], data: new Float32Array(4) },
      B: { dtype: "float32", dims: [1, 3], data: new Float32Array(3) },
    };
    const error = await session.run(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect(error).toMatchObject({ code: "RUN_FAILED" });
    expect((await session.run(addInputs(1, 1)))["C"]?.data[0]).toBe(2);
  });

  it("error: a model no provider can load is SESSION_FAILED, with each failure logged", async () => {
    const { logger, entries } = memoryLogger();
    const creating = WorkerSession.create(new Uint8Array([1, 2, 3]), {
      providers: ["cpu"],
      tuning,
      logger,
      source: async () => new Uint8Array(),
    });
    await expect(creating).rejects.toMatchObject({ code: "SESSION_FAILED" });
    expect(entries.some((e) => e.msg === "session creation failed on this provider")).toBe(true);
  });

  it("behavior: a crashed worker fails its runs with RUN_FAILED and is replaced on the next run", async () => {
    const { session, entries, sourced } = await open(addModel(), { workerUrl: fake });
    expect((await session.run(echo(5)))["Y"]?.data[0]).toBe(5);
    const queued = [session.run(echo(-1)), session.run(echo(6))];
    for (const outcome of await Promise.allSettled(queued)) {
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(InferenceError);
      expect(reason).toMatchObject({ code: "RUN_FAILED", shortMessage: "Inference worker crashed" });
    }
    expect(entries.some((e) => e.level === "error" && e.msg === "inference worker failed")).toBe(true);
    expect((await session.run(echo(7)))["Y"]?.data[0]).toBe(7);
    expect(sourced()).toBe(1);
    // A worker that exits is replaced too.
    await expect(session.run(echo(-2))).rejects.toMatchObject({ code: "RUN_FAILED" });
    expect((await session.run(echo(8)))["Y"]?.data[0]).toBe(8);
    expect(sourced()).toBe(2);
  });

  it("error: runs after release are refused", async () => {
    const { session } = await open(addModel(), { workerUrl: fake });
    await session.release();
    await expect(session.run(echo(1))).rejects.toMatchObject({ code: "RUN_FAILED" });
  });
});

describe("InferenceEngine with worker sessions", () => {
  it("behavior: a request that times out or is cancelled while its run is in the worker fails; later ones succeed", async () => {
    const engine = new InferenceEngine({ modelDir: tempDir(), ...tuning, maxInFlightPerModel: 2 });
    await engine.start();
    try {
      expect(engine.options.runInWorker).toBe(true);
      const { modelId } = await engine.addModel(DETECTOR_MODEL);
      await engine.load(modelId);
      const controller = new AbortController();
      const cancelled = engine.infer(modelId, detectorInput(1), { signal: controller.signal });
      const timedOut = engine.infer(modelId, detectorInput(2), { timeoutMs: 2 });
      // The event loop stays free while the worker runs: the abort lands mid-run, once the engine
      // reports the run in flight (no timer races the worker).
      const settled = Promise.allSettled([cancelled, timedOut]);
      while ((engine.loaded()[0]?.inFlight ?? 0) === 0) await new Promise((r) => setImmediate(r));
      controller.abort();
      const [c, t] = await settled;
      expect((c as PromiseRejectedResult).reason).toMatchObject({ code: "ABORTED" });
      expect((t as PromiseRejectedResult).reason).toMatchObject({ code: "TIMEOUT" });
      const result = await engine.infer(modelId, detectorInput(3));
      expect(result.outputs["sigmoid_0.tmp_0"]?.dims ?? Object.values(result.outputs)[0]?.dims).toEqual([
        1, 1, 320, 320,
      ]);
      expect(engine.loaded()[0]?.provider).toBe("cpu");
    } finally {
      await engine.stop();
    }
  });

  it("behavior: runInWorker false runs on the main thread with onnxruntime's default threads", async () => {
    const engine = new InferenceEngine({ modelDir: tempDir(), runInWorker: false });
    await engine.start();
    try {
      expect(engine.sessionPlan(1_000)).toEqual({ sessions: 1, intraOpThreads: undefined });
      const { modelId } = await engine.addModel(addModel());
      expect((await engine.infer(modelId, addInputs(2, 3))).outputs["C"]?.data[0]).toBe(5);
    } finally {
      await engine.stop();
    }
  });
});
