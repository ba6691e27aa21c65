import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Lifecycle, PeriodicTask, type PeriodicTaskOptions } from "../src/index.js";
import { deferred, memoryLogger } from "./helpers.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A task whose runs are counted and, when `hold` is set, wait for the test to release them. */
function counted(options: Partial<PeriodicTaskOptions> = {}) {
  const { logger, lines } = memoryLogger();
  const signals: AbortSignal[] = [];
  let hold: ReturnType<typeof deferred> | undefined;
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const task = new PeriodicTask(
    { name: "counted", intervalMs: 1_000, ...options },
    async (signal) => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      signals.push(signal);
      try {
        await hold?.promise;
      } finally {
        active--;
      }
    },
    { logger },
  );
  return {
    task,
    lines,
    signals,
    runs: () => runs,
    maxActive: () => maxActive,
    hold: () => {
      hold = deferred();
      return hold;
    },
  };
}

describe("PeriodicTask", () => {
  it("behavior: runs every intervalMs once started, and not before", async () => {
    const t = counted();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.runs()).toBe(0);
    t.task.start();
    expect(t.task.started).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(t.runs()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.runs()).toBe(4);
    await t.task.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.runs()).toBe(4);
  });

  it("behavior: runOnStart runs at once", async () => {
    const t = counted({ runOnStart: true });
    t.task.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.runs()).toBe(1);
    await t.task.stop();
  });

  it("behavior: single flight — ticks and triggers during a run are skipped", async () => {
    const t = counted();
    const gate = t.hold();
    t.task.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.task.running).toBe(true);
    t.task.trigger();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.runs()).toBe(1);
    gate.resolve(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.task.running).toBe(false);
    expect(t.runs()).toBe(1);
    expect(t.maxActive()).toBe(1);
    await t.task.stop();
  });

  it("behavior: with coalesce, triggers during a run ask for exactly one more run after it", async () => {
    const t = counted({ coalesce: true });
    const gate = t.hold();
    t.task.trigger();
    t.task.trigger();
    t.task.trigger();
    expect(t.runs()).toBe(1);
    t.hold().resolve(undefined);
    gate.resolve(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.runs()).toBe(2);
    expect(t.maxActive()).toBe(1);
    await t.task.stop();
  });

  it("behavior: stop aborts the run's signal and awaits the run in flight", async () => {
    const t = counted();
    const gate = t.hold();
    t.task.trigger();
    const signal = t.signals[0]!;
    expect(signal.aborted).toBe(false);
    let stopped = false;
    const stopping = t.task.stop().then(() => {
      stopped = true;
    });
    expect(signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    gate.resolve(undefined);
    await stopping;
    expect(stopped).toBe(true);
    // Stopped: triggers do nothing until started again, which brings a fresh signal.
    t.task.trigger();
    expect(t.runs()).toBe(1);
    t.task.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.runs()).toBe(2);
    expect(t.signals[1]!.aborted).toBe(false);
    await t.task.stop();
  });

  it("error: a failing run is logged, not thrown, and the next tick runs again", async () => {
    const { logger, lines } = memoryLogger();
    let runs = 0;
    const task = new PeriodicTask(
      { name: "flaky", intervalMs: 100, errorMessage: "flaky run failed; retrying" },
      () => {
        runs++;
        if (runs === 1) throw new Error("boom");
        return Promise.reject(new Error("async boom"));
      },
      { logger },
    );
    task.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(2);
    const failures = lines().filter((l) => l["msg"] === "flaky run failed; retrying");
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ task: "flaky", err: { message: "boom" } });
    expect(failures[1]).toMatchObject({ err: { message: "async boom" } });
    await task.stop();
  });

  it("behavior: runNow joins the run in flight and hands its error to the caller", async () => {
    const { logger } = memoryLogger();
    const gate = deferred();
    let runs = 0;
    const task = new PeriodicTask(
      { name: "joined", intervalMs: 1_000 },
      async () => {
        runs++;
        await gate.promise;
        throw new Error("failed run");
      },
      { logger },
    );
    const a = task.runNow();
    const b = task.runNow();
    gate.resolve(undefined);
    await expect(a).rejects.toThrow("failed run");
    await expect(b).rejects.toThrow("failed run");
    expect(runs).toBe(1);
  });

  it("behavior: runAfter waits for the run in flight, then runs once more", async () => {
    const t = counted();
    const gate = t.hold();
    t.task.trigger();
    const after = t.task.runAfter();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.runs()).toBe(1);
    t.hold().resolve(undefined);
    gate.resolve(undefined);
    await after;
    expect(t.runs()).toBe(2);
    expect(t.maxActive()).toBe(1);
  });

  it("behavior: a lifecycle module — started and stopped by Lifecycle, stopped by its signal", async () => {
    const { logger } = memoryLogger();
    const t = counted();
    const lifecycle = new Lifecycle({}, { logger }).add(t.task);
    await lifecycle.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.runs()).toBe(2);
    await lifecycle.stop();
    expect(t.task.started).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.runs()).toBe(2);
  });

  it("error: a non-positive interval is refused", () => {
    const { logger } = memoryLogger();
    expect(() => new PeriodicTask({ name: "bad", intervalMs: 0 }, () => undefined, { logger })).toThrow(
      RangeError,
    );
  });
});
