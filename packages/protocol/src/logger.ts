/** One pino-style log method: `log(obj, msg)` or `log(msg)`. */
export type LogFn = {
  (obj: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
};

/**
 * The logger the opg libraries take (chain, p2p): a structural subset of pino's `Logger`, so a
 * pino logger (or `@opg/daemon`'s) can be passed without them depending on either.
 */
export type Logger = {
  child(bindings: Record<string, unknown>): Logger;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
};

const noop = (): void => {};

/** A logger that drops everything (the default when none is injected). */
export const noopLogger: Logger = {
  child: () => noopLogger,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};
