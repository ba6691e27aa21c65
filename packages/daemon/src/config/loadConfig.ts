import { readFileSync } from "node:fs";
import type * as z from "zod";
import { ConfigError, type ConfigIssue, type ConfigSource } from "../errors.js";
import { coerceValue } from "./coerceValue.js";
import { acceptsExtraKeys, type ConfigKey, configKeys, objectShape, toFlagSegment } from "./configKeys.js";

export type LoadConfigOptions = {
  /** Path of a JSON config file. */
  file?: string | undefined;
  /** Environment (defaults to `process.env`). Only variables named after schema keys are read. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * CLI flag values from the CLI layer: nested (`{p2p: {listen: [...]}}`) or dotted keys, written
   * as the schema spells them (`http.requestTimeoutMs`) or as the flag does (`http.request-timeout-ms`).
   * Strings are coerced like env values; `undefined` values are ignored.
   */
  flags?: Readonly<Record<string, unknown>> | undefined;
  /** Prefix of environment variables; `OPG_` by default. */
  envPrefix?: string | undefined;
  /** Environment variables with the prefix that are read elsewhere (not reported as unknown). */
  ignoreEnv?: readonly string[] | undefined;
};

export type LoadedConfig<T> = {
  config: T;
  /** Where each explicitly set key came from (keys left to defaults are absent). */
  sources: Record<string, ConfigSource>;
  /** Non-fatal findings, e.g. `OPG_*` variables that match no key. */
  warnings: string[];
};

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/**
 * Loads configuration from defaults < file < env < flags, validates it once with `schema` and
 * returns the typed result. Every problem is reported at once in a `ConfigError` whose messages
 * name the key, its env variable and its flag.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  options: LoadConfigOptions = {},
): LoadedConfig<z.output<S>> {
  const envPrefix = options.envPrefix ?? "OPG_";
  const keys = configKeys(schema, { envPrefix });
  const byPath = new Map(keys.map((key) => [key.path, key]));
  const issues: ConfigIssue[] = [];
  const sources: Record<string, ConfigSource> = {};
  const warnings: string[] = [];
  const issue = (
    key: ConfigKey | undefined,
    path: string,
    message: string,
    source: ConfigSource | undefined,
  ) => issues.push({ path, message, source, env: key?.env, flag: key?.flag });

  // 1. File.
  let fileValues: Json = {};
  if (options.file !== undefined) {
    fileValues = readConfigFile(options.file);
    checkFileKeys(schema, fileValues, [], (path) => {
      const suggestion = closestKey(path, keys);
      issue(
        undefined,
        path,
        `unknown key "${path}" in ${options.file}` +
          (suggestion ? `; did you mean "${suggestion}"?` : "; remove it or fix its spelling"),
        "file",
      );
    });
    for (const key of keys) if (getPath(fileValues, key.segments) !== undefined) sources[key.path] = "file";
  }

  // 2. Environment.
  const env = options.env ?? process.env;
  const envValues: Json = {};
  const envNames = new Set(keys.map((key) => key.env));
  for (const key of keys) {
    const raw = env[key.env];
    if (raw === undefined) continue;
    const coerced = coerceValue(raw, key.kind, key.element);
    if (!coerced.ok) {
      issue(key, key.path, `${key.env}=${show(key, raw)} is not ${coerced.expected}`, "env");
      continue;
    }
    setPath(envValues, key.segments, coerced.value);
    sources[key.path] = "env";
  }
  const ignored = new Set(options.ignoreEnv ?? []);
  for (const name of Object.keys(env)) {
    if (name.startsWith(envPrefix) && !envNames.has(name) && !ignored.has(name)) {
      warnings.push(`environment variable ${name} matches no configuration key and is ignored`);
    }
  }

  // 3. Flags.
  const flagValues: Json = {};
  const flagIndex = new Map<string, ConfigKey>();
  for (const key of keys) {
    flagIndex.set(key.path, key);
    flagIndex.set(key.segments.map(toFlagSegment).join("."), key);
  }
  for (const [name, value] of flattenFlags(options.flags ?? {}, byPath)) {
    if (value === undefined) continue;
    const key = flagIndex.get(name.replace(/^--/, ""));
    if (!key) {
      const suggestion = closestKey(name, keys);
      issue(
        undefined,
        name,
        `unknown flag --${name.replace(/^--/, "")}` +
          (suggestion ? `; did you mean ${byPath.get(suggestion)?.flag}?` : ""),
        "flag",
      );
      continue;
    }
    let finalValue: unknown = value;
    if (typeof value === "string" && key.kind !== "string") {
      const coerced = coerceValue(value, key.kind, key.element);
      if (!coerced.ok) {
        issue(key, key.path, `${key.flag}=${show(key, value)} is not ${coerced.expected}`, "flag");
        continue;
      }
      finalValue = coerced.value;
    } else if (key.kind === "array" && !Array.isArray(value)) {
      finalValue = [value];
    }
    setPath(flagValues, key.segments, finalValue);
    sources[key.path] = "flag";
  }

  // 4. Merge and validate once.
  const merged = deepMerge(deepMerge(fileValues, envValues), flagValues);
  fillObjectSections(schema, merged);
  if (issues.length === 0) {
    const result = schema.safeParse(merged);
    if (result.success) return { config: result.data, sources, warnings };
    for (const zodIssue of result.error.issues) {
      const path = zodIssue.path.map(String).join(".");
      const key = findKey(path, keys);
      const source = key ? sources[key.path] : undefined;
      const value = getPath(merged, zodIssue.path.map(String));
      let message = zodIssue.message;
      if (value === undefined && zodIssue.code === "invalid_type") message = "required but not set";
      if (source === "env" && key) message += ` (from ${key.env}=${show(key, String(env[key.env]))})`;
      else if (source === "flag" && key) message += ` (from ${key.flag})`;
      else if (source === "file") message += ` (from ${options.file})`;
      issue(
        key,
        path || "(root)",
        message,
        source ?? (key?.defaultValue !== undefined ? "default" : undefined),
      );
    }
  }
  throw new ConfigError("CONFIG_INVALID", `Invalid configuration: ${issues.length} problem(s)`, {
    details: `\n${issues.map(formatIssue).join("\n")}`,
    issues,
  });
}

/** `p2p.listen: <message>. Set it in the config file as "p2p.listen", with OPG_P2P_LISTEN or --p2p.listen.` */
export function formatIssue(issue: ConfigIssue): string {
  const where =
    issue.env && issue.flag
      ? ` Set "${issue.path}" in the config file, with ${issue.env} or with ${issue.flag}.`
      : "";
  const end = /[.?!]$/.test(issue.message) ? "" : ".";
  return `- ${issue.path}: ${issue.message}${end}${where}`;
}

function show(key: ConfigKey, raw: string): string {
  if (key.secret) return "<redacted>";
  const text = raw.length > 64 ? `${raw.slice(0, 64)}…` : raw;
  return JSON.stringify(text);
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConfigError("CONFIG_FILE_NOT_FOUND", `Config file not found: ${file}`, {
        details:
          "Check the path given with --config (or OPG_CONFIG), or omit it to use defaults, env and flags.",
        cause: error,
      });
    }
    throw new ConfigError("CONFIG_FILE_UNREADABLE", `Config file cannot be read: ${file}`, {
      details: `${code ?? "error"}: check the file's permissions.`,
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("CONFIG_FILE_INVALID", `Config file is not valid JSON: ${file}`, {
      details: (error as Error).message,
      cause: error,
    });
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError("CONFIG_FILE_INVALID", `Config file must hold a JSON object: ${file}`);
  }
  return parsed;
}

function checkFileKeys(
  schema: z.ZodType,
  value: Json,
  segments: string[],
  onUnknown: (path: string) => void,
): void {
  const shape = objectShape(schema);
  if (!shape || acceptsExtraKeys(schema)) return;
  for (const [name, child] of Object.entries(value)) {
    const childSchema = Object.hasOwn(shape, name) ? shape[name] : undefined;
    const path = [...segments, name];
    if (!childSchema) {
      onUnknown(path.join("."));
      continue;
    }
    if (isPlainObject(child) && objectShape(childSchema)) checkFileKeys(childSchema, child, path, onUnknown);
  }
}

/** Sections that are plain objects become `{}` when absent, so their fields' defaults apply. */
function fillObjectSections(schema: z.ZodType, value: Json): void {
  const shape = objectShape(schema);
  if (!shape) return;
  for (const [name, child] of Object.entries(shape)) {
    if (child._zod.def.type !== "object") continue;
    if (value[name] === undefined) value[name] = {};
    const next = value[name];
    if (isPlainObject(next)) fillObjectSections(child, next);
  }
}

function flattenFlags(
  flags: Readonly<Record<string, unknown>>,
  byPath: Map<string, ConfigKey>,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (value: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [name, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (isPlainObject(child) && !byPath.has(path)) walk(child, path);
      else out.push([path, child]);
    }
  };
  walk(flags, "");
  return out;
}

function findKey(path: string, keys: readonly ConfigKey[]): ConfigKey | undefined {
  let best: ConfigKey | undefined;
  for (const key of keys) {
    if (
      (path === key.path || path.startsWith(`${key.path}.`)) &&
      (!best || key.path.length > best.path.length)
    ) {
      best = key;
    }
  }
  return best;
}

function getPath(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Json)[segment];
  }
  return current;
}

function setPath(target: Json, segments: readonly string[], value: unknown): void {
  let current = target;
  for (const segment of segments.slice(0, -1)) {
    const next = current[segment];
    if (!isPlainObject(next)) current[segment] = {};
    current = current[segment] as Json;
  }
  current[segments[segments.length - 1] as string] = value;
}

function deepMerge(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [name, value] of Object.entries(override)) {
    const existing = out[name];
    out[name] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

function closestKey(input: string, keys: readonly ConfigKey[]): string | undefined {
  const needle = input.replace(/^--/, "").toLowerCase().replace(/[-_]/g, "");
  let best: { path: string; distance: number } | undefined;
  for (const key of keys) {
    const distance = levenshtein(needle, key.path.toLowerCase());
    if (!best || distance < best.distance) best = { path: key.path, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(needle.length / 4)) ? best.path : undefined;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
