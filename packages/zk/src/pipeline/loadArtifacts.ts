import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Groth16VerificationKey } from "../proof/snarkjsTypes.js";
import { ZkError } from "../ZkError.js";
import { specFromJson } from "./specJson.js";
import {
  ARTIFACT_FILES,
  type ZkArtifactManifest,
  type ZkArtifacts,
  type ZkVerifyingArtifacts,
} from "./ZkArtifacts.js";

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ZkError("ARTIFACT_MISSING", `Cannot read artifact ${path}.`, { cause });
  }
}

async function readJson<T>(path: string): Promise<T> {
  const bytes = await readBytes(path);
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (cause) {
    throw new ZkError("ARTIFACT_MISSING", `Artifact ${path} is not JSON.`, { cause });
  }
}

/**
 * Reads an artifact file and checks it against the manifest's sha256: a file that was swapped or
 * edited after the build (or a manifest that does not list it) is refused.
 */
async function readChecked(dir: string, manifest: ZkArtifactManifest, file: string): Promise<Buffer> {
  const expected = manifest.files?.[file];
  if (typeof expected !== "string") {
    throw new ZkError("ARTIFACT_MISSING", `The manifest in ${dir} lists no hash for ${file}.`);
  }
  const bytes = await readBytes(join(dir, file));
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== expected) {
    throw new ZkError("ARTIFACT_MISSING", `Artifact ${file} in ${dir} does not match its manifest hash.`, {
      details: `sha256 ${actual}, manifest ${expected}`,
    });
  }
  return bytes;
}

/** Checks the sha256 of every file the manifest lists (prover side: wasm, zkey, …) against the manifest. */
export async function checkArtifactHashes(dir: string, manifest: ZkArtifactManifest): Promise<void> {
  for (const [key, file] of Object.entries(ARTIFACT_FILES)) {
    if (key === "manifest") continue;
    await readChecked(dir, manifest, file);
  }
}

/** Manifest, model spec and verification key of one artifact directory (what verifiers need). */
export async function loadVerifyingArtifacts(dir: string): Promise<ZkVerifyingArtifacts> {
  const manifest = await readJson<ZkArtifactManifest>(join(dir, ARTIFACT_FILES.manifest));
  if (manifest.version !== 1) {
    throw new ZkError(
      "ARTIFACT_MISSING",
      `Unsupported artifact manifest version ${String(manifest.version)} in ${dir}.`,
    );
  }
  const json = async <T>(file: string): Promise<T> => {
    try {
      return JSON.parse((await readChecked(dir, manifest, file)).toString("utf8")) as T;
    } catch (cause) {
      if (cause instanceof ZkError) throw cause;
      throw new ZkError("ARTIFACT_MISSING", `Artifact ${file} in ${dir} is not JSON.`, { cause });
    }
  };
  const spec = specFromJson(await json<unknown>(ARTIFACT_FILES.spec));
  const vkey = await json<Groth16VerificationKey>(ARTIFACT_FILES.vkey);
  return { manifest, spec, vkey };
}

/**
 * All artifacts of one directory `<cacheDir>/<artifactKey>/` (prover side: wasm and zkey paths),
 * every file checked against the manifest's sha256.
 */
export async function loadArtifacts(dir: string): Promise<ZkArtifacts> {
  const v = await loadVerifyingArtifacts(dir);
  await checkArtifactHashes(dir, v.manifest);
  return {
    ...v,
    dir,
    wasmPath: join(dir, ARTIFACT_FILES.wasm),
    witnessCalculatorPath: join(dir, ARTIFACT_FILES.witnessCalculator),
    zkeyPath: join(dir, ARTIFACT_FILES.zkey),
    solidityPath: join(dir, ARTIFACT_FILES.solidity),
  };
}
