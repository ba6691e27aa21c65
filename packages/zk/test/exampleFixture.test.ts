/**
 * The example artifacts (fixtures/artifacts/<artifactKey>/, what the tests, benches and devnets
 * use) are what the compiler makes of models/iris-mlp.onnx: rebuilt from the ONNX file, in a fresh
 * working directory, the circuit, the r1cs, the witness program and the spec are byte-identical to
 * the fixture's files (the compile is deterministic, across runs and working directories). The
 * Groth16 key is not deterministic: it is not redone here, only checked against the manifest.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARTIFACT_FILES,
  checkArtifactHashes,
  EXAMPLE_ARTIFACTS_DIR,
  EXAMPLE_ONNX_PATH,
  loadArtifacts,
} from "../src/index.js";
import { specToJson } from "../src/pipeline/specJson.js";
import { type CompiledModel, compileModel, runCircom } from "../src/toolchain.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const dirs: string[] = [];

type Rebuilt = { compiled: CompiledModel; circom: Buffer; r1cs: Buffer; wasm: Buffer; spec: string };

/** Compiles the example ONNX and runs circom in a fresh working directory (cwd included). */
async function rebuild(): Promise<Rebuilt> {
  const dir = await mkdtemp(join(tmpdir(), "opg-zk-example-"));
  dirs.push(dir);
  const compiled = await compileModel(await readFile(EXAMPLE_ONNX_PATH));
  const file = join(dir, "circuit.circom");
  await writeFile(file, compiled.circom);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const out = await runCircom(file, join(dir, "build"));
    return {
      compiled,
      circom: Buffer.from(compiled.circom),
      r1cs: await readFile(out.r1cs),
      wasm: await readFile(out.wasm),
      spec: `${JSON.stringify(specToJson(compiled.spec))}\n`,
    };
  } finally {
    process.chdir(cwd);
  }
}

let fixtureDir: string;
let first: Rebuilt;

beforeAll(async () => {
  const keys = await readdir(EXAMPLE_ARTIFACTS_DIR);
  expect(keys).toHaveLength(1);
  fixtureDir = join(EXAMPLE_ARTIFACTS_DIR, keys[0]!);
  first = await rebuild();
}, 300_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("example fixture", () => {
  it("behavior: rebuilt from its ONNX, the circuit, r1cs, witness wasm and spec are byte-identical to the fixture's", async () => {
    const fixture = (name: string) => readFile(join(fixtureDir, name));
    expect(sha(first.circom)).toBe(sha(await fixture(ARTIFACT_FILES.circom)));
    expect(sha(first.r1cs)).toBe(sha(await fixture(ARTIFACT_FILES.r1cs)));
    expect(sha(first.wasm)).toBe(sha(await fixture(ARTIFACT_FILES.wasm)));
    expect(first.spec).toBe((await fixture(ARTIFACT_FILES.spec)).toString("utf8"));
  });

  it("behavior: the fixture's manifest names the rebuilt model, key and commitment, and every file's hash", async () => {
    const example = await loadArtifacts(fixtureDir);
    expect(example.manifest).toMatchObject({
      artifactKey: first.compiled.artifactKey,
      modelId: first.compiled.modelId,
      compilerVersion: first.compiled.compilerVersion,
      weightsCommitment: first.compiled.weightsCommitment.toString(),
    });
    expect(fixtureDir.endsWith(first.compiled.artifactKey)).toBe(true);
    await expect(checkArtifactHashes(fixtureDir, example.manifest)).resolves.toBeUndefined();
  });

  it("default: a second rebuild in another working directory is byte-identical to the first", async () => {
    const again = await rebuild();
    expect(sha(again.circom)).toBe(sha(first.circom));
    expect(sha(again.r1cs)).toBe(sha(first.r1cs));
    expect(sha(again.wasm)).toBe(sha(first.wasm));
  }, 300_000);
});
