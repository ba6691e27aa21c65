import type { Logger } from "pino";
import type { Module } from "./Module.js";

export type PeriodicTaskOptions = {
  /** Module name (logs, `/health`). */
  name: string;
  /** Time between runs started by the timer. */
  intervalMs: number;
  /** Run once as soon as the task starts (default false: the first run is one interval later). */
  runOnStart?: boolean | undefined;
  /**
   * A `trigger()` during a run asks for one more run right after it (default false: it is
   * dropped, the next interval picks the work up).
   */
  coalesce?: boolean | undefined;
  /** What is logged (warn, with the error) when a run fails. */
  errorMessage?: string | undefined;
};

/** One run; `signal` aborts when the task stops. */
export type PeriodicRun = (signal: AbortSignal) => Promise<void> | void;

/**
 * Runs a task every `intervalMs`, as a lifecycle module: runs never overlap (single flight; a
 * tick that finds one running is skipped), each gets an AbortSignal that aborts on `stop()`,
 * `stop()` awaits the run in flight, and a run that fails is logged, not thrown. Besides the
 * timer, `trigger()` runs it now (event-driven kicks) and `runNow()` runs it and awaits it (tests).
 *
 * It may be triggered before `start()` (a component driven by hand, as tests do); only `stop()`
 * ends it, and a stopped task can be started again.
 */
export class PeriodicTask implements Module {
  readonly name: string;
  private readonly options: PeriodicTaskOptions;
  private controller = new AbortController();
  private timer: ReturnType<typeof setInterval> | undefined;
  private flight: Promise<void> | undefined;
  private again = false;
  /** True from the call of a run until it ends (`flight` is set once the call returns). */
  private busy = false;

  constructor(
    options: PeriodicTaskOptions,
    private readonly run: PeriodicRun,
    private readonly deps: { logger: Logger },
  ) {
    if (!(options.intervalMs > 0)) throw new RangeError(`${options.name}: intervalMs must be positive.`);
    this.options = options;
    this.name = options.name;
  }

  /** Aborts when the task stops. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the timer is running (between `start()` and `stop()`). */
  get started(): boolean {
    return this.timer !== undefined;
  }

  /** Whether a run is in flight. */
  get running(): boolean {
    return this.busy;
  }

  /** Starts the timer (and a first run with `runOnStart`); `signal` aborting stops the task. */
  start(signal?: AbortSignal): void {
    if (this.timer !== undefined) return;
    if (this.controller.signal.aborted) this.controller = new AbortController();
    signal?.addEventListener("abort", () => void this.stop(), { once: true });
    this.timer = setInterval(() => this.trigger(), this.options.intervalMs);
    if (this.options.runOnStart) this.trigger();
  }

  /** Stops the timer, aborts the run in flight and waits for it to end. */
  async stop(): Promise<void> {
    this.controller.abort();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.flight?.catch(() => undefined);
  }

  /** Runs now unless stopped; while a run is in flight, once more after it (`coalesce`) or not at all. */
  trigger(): void {
    if (this.controller.signal.aborted) return;
    if (this.busy) {
      if (this.options.coalesce) this.again = true;
      return;
    }
    this.launch().catch((err: unknown) =>
      this.deps.logger.warn({ err, task: this.name }, this.options.errorMessage ?? `${this.name} run failed`),
    );
  }

  /**
   * The run in flight, or a new one: resolves when it ends and rejects with its error (the
   * caller handles it; nothing is logged). Runs even when stopped, with the aborted signal.
   */
  runNow(): Promise<void> {
    if (this.busy) return this.flight ?? Promise.resolve();
    return this.launch();
  }

  /** Waits for the run in flight (if any) to end, then runs once more and awaits that run. */
  async runAfter(): Promise<void> {
    while (this.flight !== undefined) await this.flight.catch(() => undefined);
    await this.launch();
  }

  /** Calls the run at once (its synchronous part runs now, as a direct call would). */
  private launch(): Promise<void> {
    this.busy = true;
    let result: Promise<void>;
    try {
      result = Promise.resolve(this.run(this.controller.signal));
    } catch (err) {
      result = Promise.reject(err);
    }
    const flight = result.finally(() => {
      this.busy = false;
      this.flight = undefined;
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
    this.flight = flight;
    return flight;
  }
}
