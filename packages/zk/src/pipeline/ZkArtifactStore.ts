import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import { loadArtifacts, loadVerifyingArtifacts } from "./loadArtifacts.js";
import { ARTIFACT_FILES, type ZkArtifacts, type ZkVerifyingArtifacts } from "./ZkArtifacts.js";

/**
 * Artifact directories by model id: scans `<root>/<artifactKey>/manifest.json` under each root
 * (e.g. the committed example artifacts and a cache dir) and loads a model's artifacts on first
 * use. A model not found is looked for again (a rescan) at most every `rescanMs`.
 */
export class ZkArtifactStore {
  private readonly dirs = new Map<string, string>();
  private readonly loaded = new Map<string, Promise<ZkArtifacts>>();
  private scannedAt = Number.NEGATIVE_INFINITY;
  private scanning: Promise<void> | undefined;

  constructor(
    readonly roots: readonly string[],
    private readonly options: { rescanMs?: number } = {},
  ) {}

  /**
   * Reads every root's manifests; later roots do not override earlier ones. Concurrent callers
   * share one scan in flight, so no lookup sees a half-read store.
   */
  scan(): Promise<void> {
    this.scanning ??= this.readRoots().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async readRoots(): Promise<void> {
    this.scannedAt = Date.now();
    for (const root of this.roots) {
      if (!existsSync(root)) continue;
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const dir = join(root, entry.name);
        if (!existsSync(join(dir, ARTIFACT_FILES.manifest))) continue;
        try {
          const { manifest } = await loadVerifyingArtifacts(dir);
          const id = manifest.modelId.toLowerCase();
          if (!this.dirs.has(id)) this.dirs.set(id, dir);
        } catch {
          // An unreadable directory is skipped: it serves no model.
        }
      }
    }
  }

  /** Model ids with artifacts. */
  models(): Hex[] {
    return [...this.dirs.keys()] as Hex[];
  }

  private async dirOf(modelId: Hex): Promise<string | undefined> {
    const id = modelId.toLowerCase();
    if (this.scanning) await this.scanning;
    if (!this.dirs.has(id) && Date.now() - this.scannedAt >= (this.options.rescanMs ?? 10_000)) {
      await this.scan();
    }
    return this.dirs.get(id);
  }

  /** A model's artifacts (proving side), or undefined when no root holds them. */
  async get(modelId: Hex): Promise<ZkArtifacts | undefined> {
    const dir = await this.dirOf(modelId);
    if (dir === undefined) return undefined;
    let p = this.loaded.get(dir);
    if (!p) {
      p = loadArtifacts(dir);
      this.loaded.set(dir, p);
      p.catch(() => this.loaded.delete(dir));
    }
    return p;
  }

  /** A model's verifying artifacts (manifest, spec, verification key), or undefined. */
  async getVerifying(modelId: Hex): Promise<ZkVerifyingArtifacts | undefined> {
    return this.get(modelId);
  }
}
