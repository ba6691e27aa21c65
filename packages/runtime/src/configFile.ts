import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configKeys, loadConfig } from "@opg/daemon";
import type * as z from "zod";

export type GlobalOpts = { config?: string; dataDir?: string };

/** The config file a command reads and `init`/`register` write: `--config`, else `<data-dir>/config.json`. */
export function configFilePath(opts: GlobalOpts): string {
  return opts.config ?? join(opts.dataDir ?? ".", "config.json");
}

/** Config from `--config`/`--data-dir` (default: `<dataDir>/config.json` when present), env and flags. */
export function loadDaemonConfig<S extends z.ZodType>(
  schema: S,
  opts: GlobalOpts & Record<string, unknown>,
): z.output<S> {
  return loadWithSources(schema, opts).config;
}

function loadWithSources<S extends z.ZodType>(schema: S, opts: GlobalOpts & Record<string, unknown>) {
  const { config, dataDir, ...flags } = opts;
  const fallback = dataDir ? join(dataDir, "config.json") : undefined;
  const file = config ?? (fallback && existsSync(fallback) ? fallback : undefined);
  const withDir = dataDir ? { ...flags, dataDir } : flags;
  return loadConfig(schema, { file, flags: withDir, ignoreEnv: ["OPG_KEYSTORE_PASSWORD"] });
}

/**
 * Loads the config like {@link loadDaemonConfig}; `save()` then writes every key given as a flag
 * into the config file (merged into what it holds), so that the next command — `start` after
 * `register --chain.rpc-url …` — uses the same values. Returns the keys saved.
 */
export function loadWithFlags<S extends z.ZodType>(
  schema: S,
  opts: GlobalOpts & Record<string, unknown>,
): { config: z.output<S>; save(extra?: Record<string, unknown>): string[] } {
  const { config, sources } = loadWithSources(schema, opts);
  const flagged = configKeys(schema).filter((k) => sources[k.path] === "flag" && k.path !== "dataDir");
  const save = (extra: Record<string, unknown> = {}): string[] => {
    if (flagged.length === 0 && Object.keys(extra).length === 0) return [];
    const file = configFilePath(opts);
    const json: Record<string, unknown> = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
      : {};
    for (const key of flagged) setPath(json, key.segments, getPath(config, key.segments));
    for (const [path, value] of Object.entries(extra)) setPath(json, path.split("."), value);
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
    return [...flagged.map((k) => k.path), ...Object.keys(extra)];
  };
  return { config, save };
}

function getPath(obj: unknown, segments: readonly string[]): unknown {
  let cur = obj;
  for (const s of segments) cur = (cur as Record<string, unknown> | undefined)?.[s];
  return cur;
}

function setPath(obj: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let cur = obj;
  for (const s of segments.slice(0, -1)) {
    const next = cur[s];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[s] = {};
    cur = cur[s] as Record<string, unknown>;
  }
  cur[segments[segments.length - 1]!] = value;
}
