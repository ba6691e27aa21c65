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

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (cause) {
    throw new ZkError("ARTIFACT_MISSING", `Cannot read artifact ${path}.`, { cause });
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
  const spec = specFromJson(await readJson<unknown>(join(dir, ARTIFACT_FILES.spec)));
  const vkey = await readJson<Groth16VerificationKey>(join(dir, ARTIFACT_FILES.vkey));
  return { manifest, spec, vkey };
}

/** All artifacts of one directory `<cacheDir>/<artifactKey>/` (prover side: wasm and zkey paths). */
export async function loadArtifacts(dir: string): Promise<ZkArtifacts> {
  const v = await loadVerifyingArtifacts(dir);
  return {
    ...v,
    dir,
    wasmPath: join(dir, ARTIFACT_FILES.wasm),
    witnessCalculatorPath: join(dir, ARTIFACT_FILES.witnessCalculator),
    zkeyPath: join(dir, ARTIFACT_FILES.zkey),
    solidityPath: join(dir, ARTIFACT_FILES.solidity),
  };
}
