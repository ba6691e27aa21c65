import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { Lifecycle, LifecycleError, type Module, type SignalSource } from "../src/index.js";
import { deferred, memoryLogger } from "./helpers.js";

function recorder() {
  const events: string[] = [];
  const module = (name: string, extra: Partial<Module> = {}): Module => ({
    name,
    start: () => {
      events.push(`start ${name}`);
    },
    stop: () => {
      events.push(`stop ${name}`);
    },
    ...extra,
  });
  return { events, module };
}

class FakeProcess extends EventEmitter implements SignalSource {
  override on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): this {
    return super.on(signal, listener);
  }
  override off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): this {
    return super.off(signal, listener);
  }
}

describe("Lifecycle", () => {
  it("default", async () => {
    const { logger } = memoryLogger();
    const { events, module } = recorder();
    const lifecycle = new Lifecycle({}, { logger }).add(module("a")).add(module("b")).add(module("c"));
    await lifecycle.start();
    expect(lifecycle.state).toBe("running");
    expect(lifecycle.readiness()).toEqual({ ready: true, notReady: [] });
    const result = await lifecycle.stop();
    expect(result).toEqual({ clean: true, failed: [], reason: "stop requested" });
    expect(events).toEqual(["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
    expect(lifecycle.state).toBe("stopped");
    expect(lifecycle.signal.aborted).toBe(true);
  });

  it("behavior: modules get one abort signal that fires when stopping begins", async () => {
    const { logger } = memoryLogger();
    let seen: AbortSignal | undefined;
    const lifecycle = new Lifecycle({}, { logger }).add({
      name: "a",
      start: (signal) => {
        seen = signal;
      },
      stop: () => {
        expect(seen?.aborted).toBe(true);
      },
    });
    await lifecycle.start();
    expect(seen).toBe(lifecycle.signal);
    expect(seen?.aborted).toBe(false);
    await lifecycle.stop();
  });

  it("error: a failing start stops what was started, in reverse, and rethrows", async () => {
    const { logger } = memoryLogger();
    const { events, module } = recorder();
    const boom = new Error("port in use");
    const lifecycle = new Lifecycle({}, { logger })
      .add(module("a"))
      .add(module("b"))
      .add(
        module("c", {
          start: () => {
            throw boom;
          },
        }),
      )
      .add(module("d"));
    const error = await lifecycle.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleError);
    expect(error).toMatchObject({ code: "START_FAILED", cause: boom });
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"]);
    expect(lifecycle.state).toBe("stopped");
  });

  it("behavior: a module that does not stop within the grace period is abandoned, the rest still stop", async () => {
    const { logger, lines } = memoryLogger();
    const { events, module } = recorder();
    const lifecycle = new Lifecycle({ graceMs: 30 }, { logger })
      .add(module("a"))
      .add(module("stuck", { stop: () => new Promise(() => {}) }))
      .add(
        module("broken", {
          stop: () => {
            throw new Error("nope");
          },
        }),
      );
    await lifecycle.start();
    const result = await lifecycle.stop();
    expect(result.clean).toBe(false);
    expect(result.failed).toEqual(["broken", "stuck"]);
    expect(events).toContain("stop a");
    expect(lines().some((l) => l["msg"] === "module did not stop in time" && l["failed"] === "stuck")).toBe(
      true,
    );
  });

  it("behavior: SIGTERM stops gracefully; a second signal forces exit", async () => {
    const { logger } = memoryLogger();
    const proc = new FakeProcess();
    const exits: number[] = [];
    const stopGate = deferred();
    const { events, module } = recorder();
    const lifecycle = new Lifecycle({}, { logger, signals: proc, exit: (code) => exits.push(code) })
      .add(module("a"))
      .add(module("slow", { stop: () => stopGate.promise }));
    const remove = lifecycle.handleSignals();
    await lifecycle.start();
    proc.emit("SIGTERM", "SIGTERM");
    expect(lifecycle.state).toBe("stopping");
    proc.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([130]);
    stopGate.resolve();
    const result = await lifecycle.stopped();
    expect(result.reason).toBe("signal SIGTERM");
    expect(events).toEqual(["start a", "start slow", "stop a"]);
    remove();
    expect(proc.listenerCount("SIGTERM")).toBe(0);
  });

  it("behavior: run() starts, waits for a signal, stops and removes its handlers", async () => {
    const { logger } = memoryLogger();
    const proc = new FakeProcess();
    const { events, module } = recorder();
    const lifecycle = new Lifecycle({}, { logger, signals: proc }).add(module("a")).add(
      module("b", {
        start: () => {
          events.push("start b");
          proc.emit("SIGINT", "SIGINT");
        },
      }),
    );
    const result = await lifecycle.run();
    expect(result).toEqual({ clean: true, failed: [], reason: "signal SIGINT" });
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"]);
    expect(proc.listenerCount("SIGINT")).toBe(0);
  });

  it("behavior: stop during start stops the module being started", async () => {
    const { logger } = memoryLogger();
    const { events, module } = recorder();
    const gate = deferred();
    const entered = deferred();
    const lifecycle = new Lifecycle({}, { logger })
      .add(module("a"))
      .add(
        module("b", {
          start: async () => {
            events.push("start b");
            entered.resolve();
            await gate.promise;
          },
        }),
      )
      .add(module("c"));
    const starting = lifecycle.start();
    await entered.promise;
    const stopping = lifecycle.stop("early");
    gate.resolve();
    await starting;
    expect((await stopping).reason).toBe("early");
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"]);
  });

  it("behavior: readiness lists modules that are not ready; health collects module details", async () => {
    const { logger } = memoryLogger();
    const { module } = recorder();
    const lifecycle = new Lifecycle({}, { logger })
      .add(module("http"))
      .add(module("inference", { ready: () => false, health: () => ({ provider: "cpu" }) }));
    expect(lifecycle.readiness()).toEqual({ ready: false, notReady: ["http", "inference"] });
    await lifecycle.start();
    expect(lifecycle.readiness()).toEqual({ ready: false, notReady: ["inference"] });
    expect(lifecycle.health()).toEqual({ inference: { provider: "cpu" } });
    await lifecycle.stop();
  });

  it("error: duplicate module names and adding after start", async () => {
    const { logger } = memoryLogger();
    const { module } = recorder();
    const lifecycle = new Lifecycle({}, { logger }).add(module("a"));
    expect(() => lifecycle.add(module("a"))).toThrow(/added twice/);
    await lifecycle.start();
    expect(() => lifecycle.add(module("b"))).toThrow(/after start/);
    await lifecycle.stop();
  });
});
