import type { Writable } from "node:stream";
import { OpgError } from "@opg/protocol";
import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from "pino";
import pinoPretty from "pino-pretty";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type LogFormat = "auto" | "pretty" | "json";

export type LoggerOptions = {
  level: LogLevel;
  /** `auto`: pretty when the destination is a TTY, JSON otherwise. */
  format: LogFormat;
  /** Logger name (the daemon), e.g. `opg-exec`. */
  name: string | undefined;
  /** Extra field names to redact, on top of `SECRET_FIELD_NAMES`. */
  redact: readonly string[];
};

export const defaultLoggerOptions: LoggerOptions = {
  level: "info",
  format: "auto",
  name: undefined,
  redact: [],
};

/** Field names whose values never reach a log line, at any of the first four levels of nesting. */
export const SECRET_FIELD_NAMES = [
  "privateKey",
  "private_key",
  "password",
  "passphrase",
  "secret",
  "mnemonic",
  "seed",
  "keystorePassword",
  "apiKey",
  "token",
  "authorization",
  "cookie",
] as const;

export type LoggerDeps = {
  /** Where lines go; `process.stdout` by default. */
  destination?: Writable | DestinationStream | undefined;
  /** Whether the destination is a terminal; read from the destination by default. */
  isTTY?: boolean | undefined;
};

/** Redaction paths for a field name at depths 0..3 (pino paths do not recurse on their own). */
export function redactPaths(names: readonly string[]): string[] {
  const paths: string[] = [];
  for (const name of names) {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name.replace(/["\\]/g, "")}"]`;
    const join = (prefix: string) =>
      key.startsWith("[") ? `${prefix}${key}` : prefix ? `${prefix}.${key}` : key;
    paths.push(join(""), join("*"), join("*.*"), join("*.*.*"));
  }
  return paths;
}

/**
 * Errors an operator meets (bad config, an RPC down, a taken port, a missing file: an OpgError or
 * a system error code) are logged without their stack below `debug`: the message and code say it
 * all. Other errors (bugs) keep their stack.
 */
function errWithoutStack(err: Error): ReturnType<typeof pino.stdSerializers.err> {
  const out = pino.stdSerializers.err(err);
  if (isOperatorError(err)) {
    delete (out as { stack?: string }).stack;
    // Causes too: viem and libp2p wrap the system error.
    for (
      let c = out as { cause?: unknown };
      c && typeof c.cause === "object";
      c = c.cause as { cause?: unknown }
    )
      delete (c.cause as { stack?: string }).stack;
  }
  return out;
}

function isOperatorError(err: unknown): boolean {
  for (let e = err, i = 0; e instanceof Error && i < 8; e = e.cause, i++) {
    if (e instanceof OpgError || typeof (e as { code?: unknown }).code === "string") return true;
  }
  return false;
}

/** A pino logger: pretty on a TTY, JSON otherwise, secrets redacted. */
export function createLogger(options: Partial<LoggerOptions> = {}, deps: LoggerDeps = {}): Logger {
  const opts = { ...defaultLoggerOptions, ...options };
  const destination = deps.destination ?? process.stdout;
  const isTTY = deps.isTTY ?? Boolean((destination as { isTTY?: boolean }).isTTY);
  const pretty = opts.format === "pretty" || (opts.format === "auto" && isTTY);
  const pinoOptions: PinoOptions = {
    level: opts.level,
    redact: { paths: redactPaths([...SECRET_FIELD_NAMES, ...opts.redact]), censor: "[redacted]" },
    serializers: {
      err: opts.level === "debug" || opts.level === "trace" ? pino.stdSerializers.err : errWithoutStack,
    },
  };
  if (opts.name !== undefined) pinoOptions.name = opts.name;
  const stream = pretty
    ? pinoPretty({
        colorize: isTTY,
        destination: destination as Writable,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
        sync: true,
      })
    : (destination as DestinationStream);
  return pino(pinoOptions, stream);
}
