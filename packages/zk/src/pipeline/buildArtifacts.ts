import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as snarkjs from "snarkjs";
import type { CompiledModel } from "../compiler/compileModel.js";
import { ZkError } from "../ZkError.js";
import { loadArtifacts } from "./loadArtifacts.js";
import { runCircom } from "./runCircom.js";
import { specToJson } from "./specJson.js";
import { startPhase2 } from "./startPhase2.js";
import { DEV_PTAU_PATH, groth16VerifierTemplatePath } from "./toolPaths.js";
import { ARTIFACT_FILES, type ZkArtifactManifest, type ZkArtifacts } from "./ZkArtifacts.js";

export type BuildArtifactsOptions = {
  /** Root of the content-addressed cache: artifacts go to `<cacheDir>/<artifactKey>/`. */
  cacheDir: string;
  /**
   * A phase-2-prepared powers-of-tau file (a real ceremony in production). Default: the
   * committed development file circuits/ptau/opg-dev-11.ptau (circuits up to 2^11 constraints).
   * When given, cached artifacts built from another ceremony are rebuilt.
   */
  ptauPath?: string;
  /** Rebuild even when the cache holds the artifacts. */
  force?: boolean;
  /** Progress lines (circom summary, setup steps). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
};

export async function sha256File(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The build pipeline for one compiled model: circom (WebAssembly) → r1cs + witness wasm →
 * Groth16 setup from the ceremony file (phase 2 with one random development contribution) →
 * verification key → Solidity verifier. Artifacts are content-addressed by
 * (compiler version, model id, scale, value bits, weight mode) and reused when present (and,
 * when `ptauPath` is given, built from the same ceremony file).
 */
export async function buildArtifacts(
  compiled: CompiledModel,
  options: BuildArtifactsOptions,
): Promise<ZkArtifacts> {
  const dir = join(options.cacheDir, compiled.artifactKey);
  const ptauPath = options.ptauPath ?? DEV_PTAU_PATH;
  if (!(await exists(ptauPath))) {
    throw new ZkError("ARTIFACT_MISSING", `Ceremony file ${ptauPath} does not exist.`);
  }
  const ptauSha = await sha256File(ptauPath);
  if (!options.force && (await exists(join(dir, ARTIFACT_FILES.manifest)))) {
    const cached = await loadArtifacts(dir);
    // Without an explicit ceremony any cached build is good; with one, it must match.
    if (options.ptauPath === undefined || cached.manifest.ptau.sha256 === ptauSha) return cached;
  }
  const log = options.onLog ?? (() => {});
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await mkdir(tmp, { recursive: true });
  try {
    const circomPath = join(tmp, ARTIFACT_FILES.circom);
    await writeFile(circomPath, compiled.circom);
    const t0 = performance.now();
    const circom = await runCircom(circomPath, join(tmp, "build"), options.signal);
    log(
      `circom: ${circom.nonLinearConstraints} non-linear + ${circom.linearConstraints} linear constraints, ${circom.wires} wires`,
    );
    await copyFile(circom.wasm, join(tmp, ARTIFACT_FILES.wasm));
    await copyFile(
      join(dirname(circom.wasm), "witness_calculator.js"),
      join(tmp, ARTIFACT_FILES.witnessCalculator),
    );
    await copyFile(circom.r1cs, join(tmp, ARTIFACT_FILES.r1cs));

    const zkey0 = { type: "mem" as const };
    const zkeyPath = join(tmp, ARTIFACT_FILES.zkey);
    try {
      await startPhase2(circom.r1cs, ptauPath, zkey0);
    } catch (cause) {
      throw new ZkError("BUILD_FAILED", `Groth16 setup failed for model ${compiled.modelId}.`, {
        cause,
        details: `${(cause as Error).message ?? cause}. A larger ceremony file may be needed (circuit: ${circom.nonLinearConstraints + circom.linearConstraints} constraints).`,
      });
    }
    options.signal?.throwIfAborted();
    await snarkjs.zKey.contribute(
      zkey0,
      zkeyPath,
      "opg development phase-2",
      randomBytes(32).toString("hex"),
    );
    const vkey = await snarkjs.zKey.exportVerificationKey(zkeyPath);
    const template = await readFile(groth16VerifierTemplatePath(), "utf8");
    const solidity = await snarkjs.zKey.exportSolidityVerifier(zkeyPath, { groth16: template });
    const setupSeconds = (performance.now() - t0) / 1000;
    log(`setup done in ${setupSeconds.toFixed(1)} s`);

    await writeFile(join(tmp, ARTIFACT_FILES.vkey), `${JSON.stringify(vkey, null, 1)}\n`);
    await writeFile(join(tmp, ARTIFACT_FILES.solidity), solidity);
    await writeFile(join(tmp, ARTIFACT_FILES.spec), `${JSON.stringify(specToJson(compiled.spec))}\n`);
    await rm(join(tmp, "build"), { recursive: true, force: true });

    const files: Record<string, string> = {};
    for (const [key, f] of Object.entries(ARTIFACT_FILES)) {
      if (key === "manifest") continue;
      files[f] = await sha256File(join(tmp, f));
    }
    const manifest: ZkArtifactManifest = {
      version: 1,
      artifactKey: compiled.artifactKey,
      modelId: compiled.modelId,
      compilerVersion: compiled.compilerVersion,
      scaleBits: compiled.spec.scaleBits,
      valueBits: compiled.spec.valueBits,
      weightMode: compiled.spec.weightMode,
      weightsCommitment: compiled.weightsCommitment.toString(),
      input: compiled.spec.input,
      output: compiled.spec.output,
      constraints: circom.nonLinearConstraints + circom.linearConstraints,
      wires: circom.wires,
      nPublic: vkey.nPublic,
      ptau: { file: ptauPath.replace(/^.*\//, ""), sha256: ptauSha },
      files,
      setupSeconds: Number(setupSeconds.toFixed(3)),
    };
    await writeFile(join(tmp, ARTIFACT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(tmp, dir);
    } catch (e) {
      // Another process finished the same build first: keep its artifacts.
      if (!(await exists(join(dir, ARTIFACT_FILES.manifest)))) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return loadArtifacts(dir);
}
