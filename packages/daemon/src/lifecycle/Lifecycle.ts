import type { Logger } from "pino";
import { LifecycleError } from "../errors.js";
import type { Module, Readiness, StatusSource } from "./Module.js";

export type LifecycleOptions = {
  /** Time allowed for stopping every module, after which the rest are abandoned. */
  graceMs: number;
  /** Signals that stop the daemon; a second one forces exit. */
  signals: readonly NodeJS.Signals[];
};

export const defaultLifecycleOptions: LifecycleOptions = { graceMs: 10_000, signals: ["SIGINT", "SIGTERM"] };

/** The parts of `process` the lifecycle uses; injectable for tests. */
export type SignalSource = {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
};

export type LifecycleDeps = {
  logger: Logger;
  /** `process` by default. */
  signals?: SignalSource | undefined;
  /** Forced exit on a second signal; `process.exit` by default. */
  exit?: ((code: number) => void) | undefined;
};

export type LifecycleState = "idle" | "starting" | "running" | "stopping" | "stopped";

export type StopResult = {
  /** True when every module stopped cleanly within the grace period. */
  clean: boolean;
  /** Modules whose stop threw or did not finish in time. */
  failed: string[];
  reason: string;
};

/**
 * Starts modules in order and stops them in reverse, under one AbortController and a grace
 * timeout. A failing start stops what was already started (in reverse) and rethrows.
 */
export class Lifecycle implements StatusSource {
  readonly options: LifecycleOptions;
  private readonly logger: Logger;
  private readonly deps: LifecycleDeps;
  private readonly modules: Module[] = [];
  private readonly started: Module[] = [];
  private readonly controller = new AbortController();
  private currentState: LifecycleState = "idle";
  private stopPromise: Promise<StopResult> | undefined;
  private starting: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  constructor(options: Partial<LifecycleOptions>, deps: LifecycleDeps) {
    this.options = { ...defaultLifecycleOptions, ...options };
    this.deps = deps;
    this.logger = deps.logger.child({ module: "lifecycle" });
  }

  /** Adds a module; modules start in the order they are added. */
  add(module: Module): this {
    if (this.currentState !== "idle") {
      throw new LifecycleError("ALREADY_STARTED", `Cannot add module "${module.name}" after start`);
    }
    if (this.modules.some((m) => m.name === module.name)) {
      throw new LifecycleError("DUPLICATE_MODULE", `Module "${module.name}" was added twice`);
    }
    this.modules.push(module);
    return this;
  }

  get state(): LifecycleState {
    return this.currentState;
  }

  /** Aborts when the daemon begins to stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  async start(): Promise<void> {
    if (this.currentState !== "idle")
      throw new LifecycleError("ALREADY_STARTED", "Lifecycle was already started");
    this.currentState = "starting";
    for (const module of this.modules) {
      if (this.controller.signal.aborted) break;
      const begin = performance.now();
      // `started` is updated inside the chain, so a concurrent stop() that awaits `starting`
      // always sees (and stops) a module whose start completed.
      const attempt = Promise.resolve()
        .then(() => module.start(this.controller.signal))
        .then(() => {
          this.started.push(module);
        });
      this.starting = attempt;
      try {
        await attempt;
      } catch (error) {
        if (this.controller.signal.aborted) {
          this.logger.debug({ err: error, failed: module.name }, "module start aborted by stop");
          break;
        }
        // The reason in one line (an operator's problem: a taken port, a missing file); the stack at debug.
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error({ failed: module.name, reason }, "module failed to start; stopping the others");
        this.logger.debug({ err: error, failed: module.name }, "module start failure");
        await this.stop(`start of ${module.name} failed`);
        throw new LifecycleError("START_FAILED", `${module.name} failed to start: ${reason}`, {
          cause: error,
        });
      }
      this.logger.info({ started: module.name, ms: Math.round(performance.now() - begin) }, "module started");
    }
    if (this.currentState === "starting") this.currentState = "running";
  }

  /** Stops started modules in reverse order; idempotent (later calls get the same result). */
  stop(reason = "stop requested"): Promise<StopResult> {
    this.stopPromise ??= this.stopModules(reason);
    return this.stopPromise;
  }

  /** Resolves once the lifecycle has stopped (by signal or `stop()`). */
  async stopped(): Promise<StopResult> {
    if (this.stopPromise) return this.stopPromise;
    return new Promise<StopResult>((resolve) => {
      this.controller.signal.addEventListener("abort", () => resolve(this.stop()), { once: true });
    });
  }

  /**
   * Installs handlers for `options.signals`: the first one stops gracefully, a second one forces
   * exit with code 130. Returns a function that removes the handlers.
   */
  handleSignals(): () => void {
    const source = this.deps.signals ?? process;
    const exit = this.deps.exit ?? ((code: number) => process.exit(code));
    let received = 0;
    const listener = (signal: NodeJS.Signals) => {
      received++;
      if (received === 1) {
        this.logger.info({ signal, graceMs: this.options.graceMs }, "signal received; stopping");
        void this.stop(`signal ${signal}`);
      } else {
        this.logger.warn({ signal }, "second signal received; forcing exit");
        exit(130);
      }
    };
    for (const signal of this.options.signals) source.on(signal, listener);
    return () => {
      for (const signal of this.options.signals) source.off(signal, listener);
    };
  }

  /** Starts, handles signals, and resolves when stopped. Rejects when start fails. */
  async run(): Promise<StopResult> {
    const remove = this.handleSignals();
    try {
      await this.start();
      return await this.stopped();
    } finally {
      remove();
    }
  }

  readiness(): Readiness {
    const notReady: string[] = [];
    const running = this.currentState === "running";
    for (const module of this.modules) {
      const ready =
        running &&
        this.started.includes(module) &&
        (module.ready ? safeCall(module.ready.bind(module), false) : true);
      if (!ready) notReady.push(module.name);
    }
    return { ready: notReady.length === 0 && running, notReady };
  }

  health(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const module of this.modules) {
      if (module.health)
        out[module.name] = safeCall(module.health.bind(module), { error: "health check failed" });
    }
    return out;
  }

  problems(): string[] {
    const out: string[] = [];
    for (const module of this.modules) {
      if (module.problems && this.started.includes(module))
        out.push(...safeCall(module.problems.bind(module), [`${module.name}: problem check failed`]));
    }
    return out;
  }

  private async stopModules(reason: string): Promise<StopResult> {
    this.currentState = "stopping";
    this.controller.abort(new Error(reason));
    const deadline = performance.now() + this.options.graceMs;
    const failed: string[] = [];
    if (this.starting) await withTimeout(this.starting, Math.max(0, deadline - performance.now()));
    for (const module of [...this.started].reverse()) {
      const remaining = Math.max(0, deadline - performance.now());
      const outcome = await withTimeout(
        Promise.resolve().then(() => module.stop()),
        remaining,
      );
      if (outcome.kind === "ok") {
        this.logger.info({ stopped: module.name }, "module stopped");
      } else if (outcome.kind === "timeout") {
        failed.push(module.name);
        this.logger.error(
          { failed: module.name, graceMs: this.options.graceMs },
          "module did not stop in time",
        );
      } else {
        failed.push(module.name);
        this.logger.error({ err: outcome.error, failed: module.name }, "module failed to stop");
      }
    }
    this.started.length = 0;
    this.currentState = "stopped";
    const result = { clean: failed.length === 0, failed, reason };
    this.logger.info(result, "stopped");
    return result;
  }
}

function safeCall<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

type Outcome = { kind: "ok" } | { kind: "timeout" } | { kind: "error"; error: unknown };

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "timeout" }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (): Outcome => ({ kind: "ok" }),
        (error: unknown): Outcome => ({ kind: "error", error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
