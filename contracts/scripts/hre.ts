/**
 * One Hardhat runtime per process, independent of the working directory (vitest runs from the repo root,
 * where there is no hardhat.config.ts), and a build guarded by a lock so that parallel test workers do not
 * write artifacts at the same time.
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import config from "../hardhat.config.js";

/** Absolute path of the contracts package. */
export const CONTRACTS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Absolute path of the repository root. */
export const REPO_ROOT = path.resolve(CONTRACTS_ROOT, "..");

let hrePromise: Promise<HardhatRuntimeEnvironment> | undefined;
let builtPromise: Promise<HardhatRuntimeEnvironment> | undefined;

/** The process-wide Hardhat runtime for the contracts package. */
export function getHre(): Promise<HardhatRuntimeEnvironment> {
  hrePromise ??= createHardhatRuntimeEnvironment(
    config,
    { config: path.join(CONTRACTS_ROOT, "hardhat.config.ts") },
    CONTRACTS_ROOT,
  );
  return hrePromise;
}

const LOCK_DIR = path.join(CONTRACTS_ROOT, "cache", ".build-lock");
const LOCK_STALE_MS = 300_000;

/** Runs `fn` while holding the cross-process build lock (artifacts are not rewritten meanwhile). */
export async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(LOCK_DIR), { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const info = await stat(LOCK_DIR).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > LOCK_STALE_MS) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      // Another process is compiling: wait for it to release the lock.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".sol")) continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/**
 * Whether the artifacts are newer than every Solidity source and the config. Loading the WASM compiler just
 * to find that nothing changed costs seconds per test file, so fresh artifacts skip the build task.
 */
async function artifactsAreFresh(): Promise<boolean> {
  const built = await stat(path.join(CONTRACTS_ROOT, "artifacts", "artifacts.d.ts")).catch(() => undefined);
  if (built === undefined) return false;
  const sources = Math.max(
    await newestMtime(path.join(CONTRACTS_ROOT, "contracts")),
    await newestMtime(path.join(CONTRACTS_ROOT, "examples")),
    await newestMtime(path.join(CONTRACTS_ROOT, "test")),
    (await stat(path.join(CONTRACTS_ROOT, "hardhat.config.ts"))).mtimeMs,
  );
  return sources < built.mtimeMs;
}

/** Compiles the contracts once per process (skipped when the artifacts are fresh) and returns the runtime. */
export function getBuiltHre(): Promise<HardhatRuntimeEnvironment> {
  builtPromise ??= (async () => {
    const hre = await getHre();
    await withBuildLock(async () => {
      if (!(await artifactsAreFresh())) await hre.tasks.getTask("build").run({ quiet: true });
    });
    return hre;
  })();
  return builtPromise;
}
