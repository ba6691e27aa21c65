import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { ChainError } from "../errors/ChainError.js";
import type { CheckpointStore } from "./CheckpointStore.js";

export type FileCheckpointStoreOptions = {
  /** The checkpoint file, e.g. `<dataDir>/chain/inference-requested.checkpoint.json`. */
  path: string;
  /** fsync the file and its directory on every save (durable across power loss). */
  fsync: boolean;
};

export const defaultFileCheckpointStoreOptions: Omit<FileCheckpointStoreOptions, "path"> = { fsync: true };

const VERSION = 1;

/**
 * A checkpoint in a small JSON file (`{"version":1,"block":"123"}`), written atomically: a
 * temporary file in the same directory, fsynced, then renamed over the old one. A crash leaves
 * either the old or the new checkpoint, never a torn one.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly options: FileCheckpointStoreOptions;
  /** Saves run one after another, so renames land in call order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: Pick<FileCheckpointStoreOptions, "path"> & Partial<FileCheckpointStoreOptions>) {
    if (!options.path) throw new ChainError("INVALID_OPTIONS", "FileCheckpointStore needs a path.");
    this.options = { ...defaultFileCheckpointStoreOptions, ...options };
  }

  async load(): Promise<bigint | undefined> {
    const { path } = this.options;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new ChainError("CHECKPOINT_INVALID", `Cannot read the checkpoint file ${path}.`, {
        cause: error,
      });
    }
    return parseCheckpoint(text, path);
  }

  save(block: bigint): Promise<void> {
    if (typeof block !== "bigint" || block < 0n) {
      return Promise.reject(
        new ChainError("INVALID_OPTIONS", `A checkpoint is a block number ≥ 0; got ${block}.`),
      );
    }
    const run = this.queue.then(() => this.write(block));
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(block: bigint): Promise<void> {
    const { path, fsync } = this.options;
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const body = `${JSON.stringify({ version: VERSION, block: block.toString() })}\n`;
    try {
      const file = await open(tmp, "w", 0o644);
      try {
        await file.writeFile(body, "utf8");
        if (fsync) await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => {});
      throw error;
    }
    if (fsync) await syncDir(dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; not supported on every platform/filesystem, hence best effort.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {}
}

function parseCheckpoint(text: string, path: string): bigint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChainError("CHECKPOINT_INVALID", `The checkpoint file ${path} is not valid JSON.`, { cause });
  }
  const record = json as { version?: unknown; block?: unknown } | null;
  if (typeof record !== "object" || record === null || record.version !== VERSION) {
    throw new ChainError("CHECKPOINT_INVALID", `The checkpoint file ${path} has no "version": ${VERSION}.`);
  }
  if (typeof record.block !== "string" || !/^(0|[1-9][0-9]*)$/.test(record.block)) {
    throw new ChainError(
      "CHECKPOINT_INVALID",
      `The checkpoint file ${path} has an invalid "block" (a decimal string is expected).`,
    );
  }
  return BigInt(record.block);
}
