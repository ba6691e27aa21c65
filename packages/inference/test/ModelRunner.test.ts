import type { TensorMap } from "@opg/protocol";
import { describe, expect, it } from "vitest";
import {
  type BatchingOptions,
  InferenceError,
  InferenceRetryableError,
  ModelRunner,
  QueueBudget,
  type RunnableSession,
} from "../src/index.js";
import { deferred, FakeMetrics, memoryLogger } from "./helpers.js";

/** A session whose runs complete only when the test says so. */
class ControlledSession implements RunnableSession {
  readonly calls: { inputs: TensorMap; finish: (outputs?: TensorMap) => void; fail: (e: unknown) => void }[] =
    [];
  private waiters: (() => void)[] = [];

  run(inputs: TensorMap): Promise<TensorMap> {
    const done = deferred<TensorMap>();
    this.calls.push({
      inputs,
      finish: (outputs) => done.resolve(outputs ?? doubled(inputs)),
      fail: done.reject,
    });
    for (const w of this.waiters.splice(0)) w();
    return done.promise;
  }

  /** Resolves once `count` runs have started. */
  async started(count: number): Promise<void> {
    while (this.calls.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** y = 2x, row-wise, so batched and unbatched results are easy to predict. */
function doubled(inputs: TensorMap): TensorMap {
  const x = inputs["x"];
  if (x?.dtype !== "float32") throw new Error("bad input");
  return { y: { dtype: "float32", dims: [...x.dims], data: x.data.map((v) => v * 2) } };
}

const row = (...values: number[]): TensorMap => ({
  x: { dtype: "float32", dims: [1, values.length], data: Float32Array.from(values) },
});

function setup(
  options: { maxInFlight?: number; maxQueued?: number; batching?: Partial<BatchingOptions> } = {},
  session: RunnableSession = new ControlledSession(),
) {
  const metrics = new FakeMetrics();
  const { logger, entries } = memoryLogger();
  const budget = new QueueBudget(options.maxQueued ?? 16);
  const runner = new ModelRunner(
    {
      maxInFlight: options.maxInFlight ?? 1,
      batching: { enabled: false, maxBatchSize: 4, maxWaitMs: 10_000, ...options.batching },
    },
    {
      session,
      budget,
      logger,
      metrics: {
        queueDepth: metrics.gauge({ area: "inference", name: "queue_depth", help: "" }),
        runDuration: metrics.histogram({
          area: "inference",
          name: "run_duration",
          unit: "seconds",
          help: "",
        }),
        batchSize: metrics.histogram({ area: "inference", name: "batch_size", help: "" }),
        rejectedBusy: metrics.counter({ area: "inference", name: "rejected_busy", help: "" }),
        requests: metrics.counter({ area: "inference", name: "requests", help: "" }),
      },
      labels: { model: "m", provider: "cpu" },
    },
  );
  return { runner, metrics, budget, entries, session: session as ControlledSession };
}

const LONG = { timeoutMs: 60_000 };

describe("ModelRunner", () => {
  it("default", async () => {
    const { runner, session, metrics } = setup();
    const pending = runner.submit(row(1, 2), LONG);
    await session.started(1);
    session.calls[0]?.finish();
    const result = await pending;
    expect(result.outputs["y"]?.data).toEqual(new Float32Array([2, 4]));
    expect(result).toMatchObject({ batchRows: 1, batchRequests: 1 });
    expect(metrics.values.get("opg_inference_requests_total{model=m,outcome=ok}")).toBe(1);
    expect(metrics.observations.get("opg_inference_run_duration_seconds{model=m,provider=cpu}")).toHaveLength(
      1,
    );
  });

  it("behavior: at most maxInFlight runs at once, the rest wait in order", async () => {
    const { runner, session, metrics } = setup({ maxInFlight: 2 });
    const results = [1, 2, 3].map((v) => runner.submit(row(v), LONG));
    await session.started(2);
    expect(runner.inFlight).toBe(2);
    expect(runner.queued).toBe(1);
    expect(metrics.values.get("opg_inference_queue_depth{model=m}")).toBe(1);
    session.calls[1]?.finish();
    await session.started(3);
    expect(session.calls[2]?.inputs["x"]?.data).toEqual(new Float32Array([3]));
    session.calls[0]?.finish();
    session.calls[2]?.finish();
    expect((await Promise.all(results)).map((r) => r.outputs["y"]?.data[0])).toEqual([2, 4, 6]);
    await runner.idle();
  });

  it("error: a full queue answers BUSY at once (retryable), without growing", async () => {
    const { runner, session, metrics, budget } = setup({ maxQueued: 2 });
    const accepted = [runner.submit(row(1), LONG), runner.submit(row(2), LONG), runner.submit(row(3), LONG)];
    await session.started(1);
    const busy = await runner.submit(row(4), LONG).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(InferenceRetryableError);
    expect(busy).toMatchObject({ code: "BUSY", retryable: true });
    expect(runner.queued).toBe(2);
    expect(budget.size).toBe(2);
    expect(metrics.values.get("opg_inference_rejected_busy_total{model=m}")).toBe(1);
    for (let i = 0; i < 3; i++) {
      await session.started(i + 1);
      session.calls[i]?.finish();
    }
    await Promise.all(accepted);
    expect(budget.size).toBe(0);
  });

  it("error: timeout while queued removes the request and frees its slot", async () => {
    const { runner, session, budget } = setup();
    const first = runner.submit(row(1), LONG);
    const second = runner.submit(row(2), { timeoutMs: 5 });
    const error = await second.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(runner.queued).toBe(0);
    expect(budget.size).toBe(0);
    await session.started(1);
    session.calls[0]?.finish();
    await first;
    await runner.idle();
    expect(session.calls).toHaveLength(1);
  });

  it("error: timeout while running rejects at once; the run's late result is dropped", async () => {
    const { runner, session, metrics } = setup();
    const pending = runner.submit(row(1), { timeoutMs: 5 });
    await session.started(1);
    expect(await pending.catch((e: unknown) => e)).toMatchObject({ code: "TIMEOUT" });
    expect(runner.inFlight).toBe(1);
    session.calls[0]?.finish();
    await runner.idle();
    expect(metrics.values.get("opg_inference_requests_total{model=m,outcome=timeout}")).toBe(1);
    expect(metrics.values.get("opg_inference_requests_total{model=m,outcome=ok}")).toBeUndefined();
  });

  it("error: cancellation with an AbortSignal (before, queued and running)", async () => {
    const { runner, session } = setup();
    const before = new AbortController();
    before.abort(new Error("caller gave up"));
    expect(
      await runner.submit(row(0), { ...LONG, signal: before.signal }).catch((e: unknown) => e),
    ).toMatchObject({
      code: "ABORTED",
    });

    const running = new AbortController();
    const queued = new AbortController();
    const first = runner.submit(row(1), { ...LONG, signal: running.signal });
    const second = runner.submit(row(2), { ...LONG, signal: queued.signal });
    await session.started(1);
    queued.abort();
    const queuedError = await second.catch((e: unknown) => e);
    expect(queuedError).toBeInstanceOf(InferenceError);
    expect(queuedError).toMatchObject({ code: "ABORTED", retryable: false });
    expect(runner.queued).toBe(0);
    running.abort();
    expect(await first.catch((e: unknown) => e)).toMatchObject({ code: "ABORTED" });
    session.calls[0]?.finish();
    await runner.idle();
    expect(session.calls).toHaveLength(1);
  });

  it("behavior: batching concatenates along dim 0 and splits the outputs back", async () => {
    const { runner, session, metrics } = setup({ batching: { enabled: true, maxBatchSize: 4 } });
    const results = [row(1, 2), row(3, 4), row(5, 6), row(7, 8)].map((r) => runner.submit(r, LONG));
    await session.started(1);
    expect(session.calls[0]?.inputs["x"]?.dims).toEqual([4, 2]);
    session.calls[0]?.finish();
    const outputs = await Promise.all(results);
    expect(outputs.map((r) => [...(r.outputs["y"]?.data ?? [])])).toEqual([
      [2, 4],
      [6, 8],
      [10, 12],
      [14, 16],
    ]);
    expect(outputs.every((r) => r.batchRows === 4 && r.batchRequests === 4)).toBe(true);
    expect(outputs[0]?.outputs["y"]?.dims).toEqual([1, 2]);
    expect(metrics.observations.get("opg_inference_batch_size{model=m}")).toEqual([4]);
  });

  it("behavior: a partial batch runs after maxWaitMs", async () => {
    const { runner, session } = setup({ batching: { enabled: true, maxBatchSize: 8, maxWaitMs: 5 } });
    const results = [row(1), row(2)].map((r) => runner.submit(r, LONG));
    await session.started(1);
    expect(session.calls[0]?.inputs["x"]?.dims).toEqual([2, 1]);
    session.calls[0]?.finish();
    expect((await Promise.all(results)).map((r) => r.batchRows)).toEqual([2, 2]);
  });

  it("behavior: only compatible requests share a batch; big ones run alone", async () => {
    const { runner, session } = setup({ batching: { enabled: true, maxBatchSize: 3, maxWaitMs: 0 } });
    const wide = { x: { dtype: "float32", dims: [1, 3], data: new Float32Array([1, 1, 1]) } } as TensorMap;
    const big = { x: { dtype: "float32", dims: [4, 1], data: new Float32Array([1, 2, 3, 4]) } } as TensorMap;
    // A first request occupies the only run slot while the others queue up behind it.
    const results = [row(9), row(1), wide, row(2), big].map((r) => runner.submit(r, LONG));
    for (let i = 0; i < 4; i++) {
      await session.started(i + 1);
      session.calls[i]?.finish();
    }
    expect(session.calls.map((c) => c.inputs["x"]?.dims)).toEqual([
      [1, 1],
      [2, 1],
      [1, 3],
      [4, 1],
    ]);
    const outputs = await Promise.all(results);
    expect(outputs.map((r) => r.batchRequests)).toEqual([1, 2, 1, 2, 1]);
    expect(outputs[3]?.outputs["y"]?.data).toEqual(new Float32Array([4]));
  });

  it("behavior: when outputs do not follow the batch dim, requests run one by one and batching turns off", async () => {
    const transpose: RunnableSession = {
      run: async (inputs) => {
        const x = inputs["x"];
        if (!x) throw new Error("bad input");
        return { y: { dtype: "float32", dims: [...x.dims].reverse(), data: x.data } } as TensorMap;
      },
    };
    const { runner, entries } = setup({ batching: { enabled: true, maxBatchSize: 2 } }, transpose);
    const results = await Promise.all([runner.submit(row(1, 2, 3), LONG), runner.submit(row(4, 5, 6), LONG)]);
    expect(results.map((r) => r.outputs["y"]?.dims)).toEqual([
      [3, 1],
      [3, 1],
    ]);
    expect(results.map((r) => r.batchRequests)).toEqual([1, 1]);
    expect(runner.batching).toBe(false);
    expect(entries.some((e) => e.level === "warn" && e.msg?.includes("batching disabled"))).toBe(true);
  });

  it("error: a failing run rejects every request of its batch with RUN_FAILED", async () => {
    const { runner, session } = setup({ batching: { enabled: true, maxBatchSize: 2 } });
    const results = [runner.submit(row(1), LONG), runner.submit(row(2), LONG)];
    await session.started(1);
    session.calls[0]?.fail(new Error("kernel exploded"));
    for (const result of results) {
      const error = await result.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "RUN_FAILED", details: "kernel exploded" });
    }
  });

  it("behavior: close rejects queued requests; running ones finish", async () => {
    const { runner, session } = setup();
    const running = runner.submit(row(1), LONG);
    const queued = runner.submit(row(2), LONG);
    await session.started(1);
    runner.close(new InferenceRetryableError("SHUTTING_DOWN", "stopping"));
    expect(await queued.catch((e: unknown) => e)).toMatchObject({ code: "SHUTTING_DOWN" });
    expect(await runner.submit(row(3), LONG).catch((e: unknown) => e)).toMatchObject({
      code: "SHUTTING_DOWN",
    });
    const idle = runner.idle();
    session.calls[0]?.finish();
    expect((await running).outputs["y"]?.data).toEqual(new Float32Array([2]));
    await idle;
  });
});
