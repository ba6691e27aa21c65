import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Module hooks (off-thread) that append every URL an import resolves to, to `$OPG_LOADED_MODULES`. */
const RESOLVE_HOOK = `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.OPG_LOADED_MODULES, resolved.url + "\\n");
  return resolved;
}`;

/**
 * Preloaded after tsx: registers the hooks (they run before tsx's, and see what it resolves to) and,
 * at exit, appends what `require` loaded (CommonJS modules required from CommonJS pass no hook).
 */
const PRELOAD = `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`)});
const cache = createRequire(pathToFileURL(process.cwd() + "/")).cache;
process.on("exit", () => {
  const urls = Object.keys(cache).map((f) => pathToFileURL(f).href);
  appendFileSync(process.env.OPG_LOADED_MODULES, urls.join("\\n") + "\\n");
});`;

export type LoadedModulesOptions = {
  /** Where the entry is resolved from (a package specifier: a package that depends on it, or itself). */
  cwd: string;
  /** Arguments after the entry, when it is a file run as the main module (e.g. a CLI's `--help`). */
  args?: string[];
};

/**
 * The files a fresh Node process loads for `entry` (a package specifier such as `@opg/zk`, imported;
 * or a file path, run as the main module), TypeScript sources through tsx and the workspace's
 * `@opg/source` export condition, as the tests see them. Built-in modules are left out. What a
 * dependency loads lazily (a dynamic import not yet run) is not loaded, and so not listed: this is
 * how a test shows that a start path does not pull a module in.
 */
export async function loadedModules(entry: string, options: LoadedModulesOptions): Promise<Set<string>> {
  const dir = await mkdtemp(join(tmpdir(), "opg-loaded-modules-"));
  const out = join(dir, "modules.txt");
  try {
    const isFile = entry.startsWith("/") || entry.startsWith(".");
    const target = isFile
      ? [entry, ...(options.args ?? [])]
      : ["--input-type=module", "--eval", `await import(${JSON.stringify(entry)});`];
    await run(
      process.execPath,
      [
        "--conditions=@opg/source",
        "--import",
        "tsx",
        "--import",
        `data:text/javascript,${encodeURIComponent(PRELOAD)}`,
        ...target,
      ],
      { cwd: options.cwd, env: { ...process.env, OPG_LOADED_MODULES: out }, timeout: 120_000 },
    );
    const urls = (await readFile(out, "utf8")).split("\n").filter((u) => u.startsWith("file:"));
    return new Set(urls.map((u) => fileURLToPath(u)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The files that loading `entry` pulls in and loading `baseline` does not (e.g. a toolchain beside its runtime). */
export async function loadedOnlyBy(
  entry: string,
  baseline: string,
  options: LoadedModulesOptions,
): Promise<Set<string>> {
  const [all, base] = await Promise.all([loadedModules(entry, options), loadedModules(baseline, options)]);
  return new Set([...all].filter((f) => !base.has(f)));
}
