import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARTIFACT_FILES, loadVerifyingArtifacts, ZkError } from "../src/index.js";
import {
  buildArtifacts,
  buildZkModel,
  COMPILER_VERSION,
  compileModel,
  DEV_PTAU_PATH,
  sha256File,
} from "../src/toolchain.js";
import { EXAMPLE_CACHE, exampleArtifacts, IRIS_ONNX, irisOnnx } from "./helpers.js";

describe("artifact pipeline", () => {
  it("default: the committed example artifacts are a cache hit (no setup is run)", async () => {
    const example = await exampleArtifacts();
    const zkeyBefore = await stat(example.zkeyPath);
    const t0 = performance.now();
    const artifacts = await buildZkModel(IRIS_ONNX, { cacheDir: EXAMPLE_CACHE, ptauPath: DEV_PTAU_PATH });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(artifacts.dir).toBe(example.dir);
    expect((await stat(artifacts.zkeyPath)).mtimeMs).toBe(zkeyBefore.mtimeMs);
    expect(artifacts.manifest).toMatchObject({
      version: 1,
      compilerVersion: COMPILER_VERSION,
      scaleBits: 16,
      valueBits: 40,
      weightMode: "constant",
      nPublic: 4,
      ptau: { file: "opg-dev-11.ptau", sha256: await sha256File(DEV_PTAU_PATH) },
    });
    for (const f of Object.values(ARTIFACT_FILES)) {
      if (f === ARTIFACT_FILES.manifest) continue;
      expect(await sha256File(join(artifacts.dir, f)), f).toBe(artifacts.manifest.files[f]);
    }
  });

  it("behavior: verifiers load only the manifest, the spec and the verification key", async () => {
    const example = await exampleArtifacts();
    const v = await loadVerifyingArtifacts(example.dir);
    const compiled = await compileModel(irisOnnx());
    expect(v.spec).toEqual(compiled.spec);
    expect(v.vkey.nPublic).toBe(4);
    expect(v.manifest.modelId).toBe(compiled.modelId);
  });

  it("error: a missing ceremony file is reported, not generated", async () => {
    const compiled = await compileModel(irisOnnx());
    const e = await buildArtifacts(compiled, {
      cacheDir: EXAMPLE_CACHE,
      ptauPath: "/nonexistent/ceremony.ptau",
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ZkError);
    expect((e as ZkError).code).toBe("ARTIFACT_MISSING");
  });

  it("error: a missing artifact directory is reported", async () => {
    const e = await loadVerifyingArtifacts("/nonexistent/zk").catch((err: unknown) => err);
    expect((e as ZkError).code).toBe("ARTIFACT_MISSING");
  });
});
