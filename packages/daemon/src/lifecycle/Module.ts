/**
 * What a daemon is built from. Modules are constructed as `new X(opts, {logger, metrics, ...deps})`
 * and started/stopped by `Lifecycle`.
 */
export interface Module {
  /** Short, unique name used in logs, `/ready` and `/health` (e.g. `http`, `inference`). */
  readonly name: string;
  /** Starts the module. `signal` aborts when the daemon begins to stop. */
  start(signal: AbortSignal): Promise<void> | void;
  /** Stops the module and releases its resources; called once, in reverse start order. */
  stop(): Promise<void> | void;
  /** Whether the module can serve; when absent, a started module is ready. */
  ready?(): boolean;
  /** Details for `/health` (e.g. the execution provider); never secrets. */
  health?(): Record<string, unknown>;
  /**
   * Why the module, though running, cannot do its job right now (e.g. "the signer … holds 0 ETH;
   * fund it"): each reason names the fix. Any reason turns `/health` to `degraded`.
   */
  problems?(): readonly string[];
}

/** Readiness of the daemon as a whole. */
export type Readiness = {
  ready: boolean;
  /** Names of modules that are not ready (or not started). */
  notReady: string[];
};

/** What the HTTP server asks for `/health` and `/ready`. */
export interface StatusSource {
  readiness(): Readiness;
  health(): Record<string, Record<string, unknown>>;
  /** Reasons the daemon cannot do its job (empty: none); see `Module.problems`. */
  problems?(): readonly string[];
}
