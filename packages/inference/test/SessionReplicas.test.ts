import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { TensorMap } from "@opg/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { type EngineSession, InferenceEngine, SessionReplicas } from "../src/index.js";
import { DETECTOR_MODEL, detectorInput, FakeMetrics, memoryLogger, tempDir } from "./helpers.js";

/** A session whose runs finish when the test says so. */
class HeldSession implements EngineSession {
  readonly provider = "cpu";
  readonly io = { inputs: [], outputs: [] };
  readonly held: { resolve: (t: TensorMap) => void; reject: (e: unknown) => void }[] = [];
  released = false;
  run(): Promise<TensorMap> {
    return new Promise((resolve, reject) => this.held.push({ resolve, reject }));
  }
  async release(): Promise<void> {
    this.released = true;
  }
}

describe("SessionReplicas", () => {
  it("default: a run goes to the session with the fewest runs in flight; release releases them all", async () => {
    const [a, b] = [new HeldSession(), new HeldSession()];
    const replicas = new SessionReplicas([a, b]);
    expect(replicas.size).toBe(2);
    const runs = [replicas.run({}), replicas.run({}), replicas.run({})];
    expect([a.held.length, b.held.length]).toEqual([2, 1]);
    b.held[0]!.resolve({});
    await runs[1];
    void replicas.run({});
    expect([a.held.length, b.held.length]).toEqual([2, 2]);
    await replicas.release();
    expect([a.released, b.released]).toEqual([true, true]);
  });

  it("error: a failed run fails its caller and frees its place", async () => {
    const [a, b] = [new HeldSession(), new HeldSession()];
    const replicas = new SessionReplicas([a, b]);
    const failing = replicas.run({});
    a.held[0]!.reject(new Error("run failed"));
    await expect(failing).rejects.toThrow("run failed");
    void replicas.run({});
    expect([a.held.length, b.held.length]).toEqual([2, 0]);
    expect(() => new SessionReplicas([])).toThrow(RangeError);
  });
});

describe("InferenceEngine: sessions per model", () => {
  const engines: InferenceEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });

  it("default: one session per core for a small CPU model, one intra-op thread each; never more than maxLoadedBytes holds", () => {
    const cores = availableParallelism();
    const engine = new InferenceEngine({ modelDir: tempDir() });
    expect(engine.sessionPlan(5_000_000)).toEqual({
      sessions: cores,
      intraOpThreads: Math.max(1, Math.floor((cores - 1) / cores)),
    });
    // Its share of maxLoadedBytes (4 GiB over 4 models) holds one copy of a 600 MB model.
    expect(engine.sessionPlan(600_000_000).sessions).toBe(1);
    expect(engine.sessionPlan(600_000_000).intraOpThreads).toBe(Math.max(1, cores - 1));
    const set = new InferenceEngine({ modelDir: tempDir(), sessionsPerModel: 3, maxLoadedBytes: 1_000 });
    expect(set.sessionPlan(300).sessions).toBe(3);
    expect(set.sessionPlan(400).sessions).toBe(2);
    expect(new InferenceEngine({ modelDir: tempDir(), runInWorker: false }).sessionPlan(10)).toEqual({
      sessions: 1,
      intraOpThreads: undefined,
    });
    expect(() => new InferenceEngine({ sessionsPerModel: 0 })).toThrow(/sessionsPerModel/);
  });

  it("behavior: two sessions run two requests at once, with the outputs of one session, and count twice in the loaded bytes", async () => {
    const { logger, entries } = memoryLogger();
    const metrics = new FakeMetrics();
    const engine = new InferenceEngine(
      { modelDir: tempDir(), sessionsPerModel: 2, intraOpNumThreads: 1 },
      { logger, metrics },
    );
    const single = new InferenceEngine({ modelDir: tempDir(), sessionsPerModel: 1, intraOpNumThreads: 1 });
    engines.push(engine, single);
    await engine.start();
    await single.start();
    const { modelId } = await engine.addModel(readFileSync(DETECTOR_MODEL));
    await single.addModel(readFileSync(DETECTOR_MODEL));
    await engine.load(modelId);
    const [info] = engine.loaded();
    expect(info).toMatchObject({ sessions: 2, provider: "cpu" });
    expect(metrics.values.get("opg_inference_loaded_model_bytes")).toBe(2 * info!.bytes);
    const loaded = entries.find((e) => e.msg === "model loaded")?.obj;
    expect(loaded).toMatchObject({ sessions: 2, intraOpThreads: 1, provider: "cpu" });
    const runs = [engine.infer(modelId, detectorInput(1)), engine.infer(modelId, detectorInput(2))];
    let most = 0;
    while (most < 2 && (engine.loaded()[0]?.queued ?? 0) + most < 2) {
      most = Math.max(most, engine.loaded()[0]?.inFlight ?? 0);
      await new Promise((r) => setImmediate(r));
    }
    expect(most).toBe(2); // both in flight at once, one per session
    const results = await Promise.all(runs);
    for (const [i, r] of results.entries()) {
      const alone = await single.infer(modelId, detectorInput(i + 1));
      expect(Object.values(r.outputs)[0]!.data).toEqual(Object.values(alone.outputs)[0]!.data);
    }
  });
});
