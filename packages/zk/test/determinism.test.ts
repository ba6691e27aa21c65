/**
 * Anyone can re-derive a listing's circuit: the same ONNX file and options give a byte-identical
 * circuit and r1cs, across runs and working directories (and equal to the committed example's).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileModel, runCircom } from "../src/index.js";
import { exampleArtifacts, irisOnnx } from "./helpers.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Compiles the Iris model and runs circom in a fresh working directory (cwd included). */
async function build(): Promise<{ circom: string; r1cs: string }> {
  const dir = await mkdtemp(join(tmpdir(), "opg-zk-determinism-"));
  dirs.push(dir);
  const compiled = await compileModel(irisOnnx());
  const file = join(dir, "circuit.circom");
  await writeFile(file, compiled.circom);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const out = await runCircom(file, join(dir, "build"));
    return { circom: sha(compiled.circom), r1cs: sha(await readFile(out.r1cs)) };
  } finally {
    process.chdir(cwd);
  }
}

describe("deterministic compile", () => {
  it("default: two runs in two working directories give byte-identical circuit and r1cs", async () => {
    const a = await build();
    const b = await build();
    expect(b).toEqual(a);
    const example = await exampleArtifacts();
    expect(a.circom).toBe(example.manifest.files["circuit.circom"]);
    expect(a.r1cs).toBe(example.manifest.files["circuit.r1cs"]);
  }, 300_000);
});
