import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { isDType, type Logger, modelIdFromBytes, noopLogger } from "@opg/protocol";
import { InferenceError } from "./errors.js";
import type { BatchingOptions } from "./ModelRunner.js";
import { isModelId, type ModelId, parseModelId } from "./modelId.js";
import type { ModelIo, ModelIoSpec } from "./modelIo.js";

/** Per-model settings kept in the manifest. */
export type ModelConfig = {
  /** Batching for this model, over the engine's defaults. */
  batch?: Partial<BatchingOptions>;
  /** Input shapes for the warm-up run (symbolic dims are 1 otherwise). */
  warmup?: { inputs: Record<string, number[]> };
};

export type ModelEntry = ModelConfig & {
  modelId: ModelId;
  /** File name inside the store directory (`<sha256 hex>.onnx`). */
  file: string;
  name: string;
  /** ISO 8601 time the model was added. */
  addedAt: string;
  bytes: number;
  inputs: ModelIoSpec[];
  outputs: ModelIoSpec[];
};

export type ModelStoreOptions = {
  /** Directory holding the `.onnx` files and `manifest.json`. */
  dir: string;
};

export type ModelStoreDeps = {
  logger?: Logger | undefined;
  /** Reads a model's inputs/outputs (an onnxruntime CPU session by default); throws on invalid models. */
  inspect: (bytes: Uint8Array) => Promise<ModelIo>;
};

type Manifest = { version: 1; models: Record<string, ModelEntry> };

const MANIFEST = "manifest.json";

/**
 * A directory of ONNX files addressed by their sha256 (`modelId`), with a JSON manifest of names,
 * input/output metadata and per-model settings. Every read for loading re-hashes the bytes.
 */
export class ModelStore {
  readonly options: ModelStoreOptions;
  private readonly deps: ModelStoreDeps;
  private readonly logger: Logger;
  private manifest: Manifest = { version: 1, models: {} };
  private lock: Promise<unknown> = Promise.resolve();

  constructor(options: ModelStoreOptions, deps: ModelStoreDeps) {
    this.options = options;
    this.deps = deps;
    this.logger = (deps.logger ?? noopLogger).child({ module: "model-store" });
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Creates the directory if needed and reads the manifest. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let text: string;
    try {
      text = await readFile(join(this.dir, MANIFEST), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        this.manifest = { version: 1, models: {} };
        return;
      }
      throw new InferenceError("STORE_INVALID", `Model manifest cannot be read in ${this.dir}`, {
        cause: error,
      });
    }
    this.manifest = parseManifest(text, this.dir);
    this.logger.info(
      { dir: this.dir, models: Object.keys(this.manifest.models).length },
      "model store opened",
    );
  }

  list(): ModelEntry[] {
    return Object.values(this.manifest.models).sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }

  get(modelId: string): ModelEntry | undefined {
    const id = modelId.toLowerCase();
    return Object.hasOwn(this.manifest.models, id) ? this.manifest.models[id] : undefined;
  }

  /** The entry for `modelId`, or `MODEL_NOT_FOUND`. */
  require(modelId: string): ModelEntry {
    const id = parseModelId(modelId);
    const entry = this.get(id);
    if (!entry) throw new InferenceError("MODEL_NOT_FOUND", `Model ${id} is not in the store`);
    return entry;
  }

  path(modelId: string): string {
    return join(this.dir, this.require(modelId).file);
  }

  /**
   * Copies a model in (from a path or bytes), computing its id while copying, and records its
   * metadata. Adding a model that is already there returns the existing entry.
   */
  async add(source: string | Uint8Array, options: { name?: string } & ModelConfig = {}): Promise<ModelEntry> {
    return this.exclusive(async () => {
      const temp = join(this.dir, `.incoming-${randomUUID()}.onnx`);
      try {
        const { modelId, bytes } = await copyHashing(source, temp);
        const existing = this.get(modelId);
        if (existing) {
          this.logger.info({ modelId, name: existing.name }, "model already in the store");
          return existing;
        }
        const content = await readFile(temp);
        let io: ModelIo;
        try {
          io = await this.deps.inspect(content);
        } catch (error) {
          throw new InferenceError("MODEL_INVALID", "The file is not an ONNX model onnxruntime can load", {
            details: error instanceof Error ? error.message.slice(0, 500) : undefined,
            cause: error,
          });
        }
        const file = `${modelId.slice(2)}.onnx`;
        await rename(temp, join(this.dir, file));
        const entry: ModelEntry = {
          modelId,
          file,
          name:
            options.name ?? (typeof source === "string" ? basename(source, ".onnx") : modelId.slice(0, 10)),
          addedAt: new Date().toISOString(),
          bytes,
          inputs: io.inputs,
          outputs: io.outputs,
          ...(options.batch ? { batch: options.batch } : {}),
          ...(options.warmup ? { warmup: options.warmup } : {}),
        };
        this.manifest.models[modelId] = entry;
        await this.save();
        this.logger.info({ modelId, name: entry.name, bytes }, "model added");
        return entry;
      } finally {
        await rm(temp, { force: true });
      }
    });
  }

  /** Changes a model's name or settings. */
  async configure(modelId: string, patch: { name?: string } & ModelConfig): Promise<ModelEntry> {
    return this.exclusive(async () => {
      const entry = this.require(modelId);
      const updated: ModelEntry = { ...entry, ...patch };
      this.manifest.models[entry.modelId] = updated;
      await this.save();
      return updated;
    });
  }

  /** Removes a model's file and entry; returns false when it was not there. */
  async remove(modelId: string): Promise<boolean> {
    return this.exclusive(async () => {
      const entry = this.get(parseModelId(modelId));
      if (!entry) return false;
      delete this.manifest.models[entry.modelId];
      await this.save();
      await rm(join(this.dir, entry.file), { force: true });
      this.logger.info({ modelId: entry.modelId, name: entry.name }, "model removed");
      return true;
    });
  }

  /**
   * Reads a model's bytes and checks they hash to its id. A changed or corrupted file is refused
   * with `MODEL_ID_MISMATCH`.
   */
  async readVerified(modelId: string): Promise<Uint8Array> {
    const entry = this.require(modelId);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, entry.file));
    } catch (error) {
      throw new InferenceError("MODEL_NOT_FOUND", `Model file of ${entry.modelId} is missing`, {
        details: `Expected ${join(this.dir, entry.file)}.`,
        cause: error,
      });
    }
    const actual = modelIdFromBytes(bytes);
    if (actual !== entry.modelId) {
      this.logger.error({ modelId: entry.modelId, actual }, "model file does not match its id; refused");
      throw new InferenceError("MODEL_ID_MISMATCH", `Model file does not hash to ${entry.modelId}`, {
        details: `sha256 of ${entry.file} is ${actual}; the file changed or is corrupted. Re-add the model.`,
      });
    }
    return bytes;
  }

  private async save(): Promise<void> {
    const target = join(this.dir, MANIFEST);
    const temp = `${target}.${randomUUID()}.tmp`;
    await writeFile(temp, `${JSON.stringify(this.manifest, null, 2)}\n`);
    await rename(temp, target);
  }

  /** Serialises changes to the manifest. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }
}

async function copyHashing(
  source: string | Uint8Array,
  target: string,
): Promise<{ modelId: ModelId; bytes: number }> {
  if (typeof source !== "string") {
    await writeFile(target, source);
    return { modelId: modelIdFromBytes(source), bytes: source.byteLength };
  }
  let size: number;
  try {
    size = (await stat(source)).size;
  } catch (error) {
    throw new InferenceError("MODEL_NOT_FOUND", `Model file not found: ${source}`, { cause: error });
  }
  const hash = createHash("sha256");
  await pipeline(
    createReadStream(source),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(target, { mode: 0o644 }),
  );
  return { modelId: `0x${hash.digest("hex")}`, bytes: size };
}

function parseManifest(text: string, dir: string): Manifest {
  const invalid = (why: string) =>
    new InferenceError("STORE_INVALID", `Model manifest in ${dir} is invalid`, { details: why });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const manifest = value as Partial<Manifest>;
  if (
    typeof value !== "object" ||
    value === null ||
    manifest.version !== 1 ||
    typeof manifest.models !== "object" ||
    manifest.models === null
  ) {
    throw invalid('expected {"version": 1, "models": {...}}');
  }
  for (const [id, entry] of Object.entries(manifest.models)) {
    if (!isModelId(id)) throw invalid(`"${id.slice(0, 80)}" is not a model id`);
    if (typeof entry !== "object" || entry === null) throw invalid(`${id}: entry is not an object`);
    if (entry.modelId !== id) throw invalid(`${id}: modelId field differs from its key`);
    if (entry.file !== `${id.slice(2)}.onnx`) throw invalid(`${id}: file must be ${id.slice(2)}.onnx`);
    if (
      typeof entry.name !== "string" ||
      typeof entry.addedAt !== "string" ||
      typeof entry.bytes !== "number"
    ) {
      throw invalid(`${id}: name, addedAt and bytes are required`);
    }
    for (const spec of [...(entry.inputs ?? []), ...(entry.outputs ?? [])]) {
      const ok =
        typeof spec?.name === "string" &&
        (spec.dtype === null || isDType(spec.dtype)) &&
        Array.isArray(spec.shape) &&
        spec.shape.every((d) => typeof d === "string" || (Number.isInteger(d) && d >= 0));
      if (!ok) throw invalid(`${id}: malformed input/output metadata`);
    }
    if (!Array.isArray(entry.inputs) || !Array.isArray(entry.outputs))
      throw invalid(`${id}: inputs and outputs are required`);
  }
  return manifest as Manifest;
}
