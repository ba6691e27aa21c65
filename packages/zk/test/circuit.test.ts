import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commitVector,
  inputCommitment,
  quantizeInputs,
  runQuantized,
  toField,
  weightVector,
  type ZkModelSpec,
} from "../src/index.js";
import { type CompiledModel, compileModel, constraintReport } from "../src/toolchain.js";
import {
  type CompiledCircuit,
  compileCircuit,
  EXECUTOR_A,
  EXECUTOR_B,
  IRIS,
  irisInput,
  irisOnnx,
} from "./helpers.js";
import { mixedOpsOnnx, smallCnnOnnx } from "./models.js";

const requireCjs = createRequire(import.meta.url);

type WitnessCalculator = { calculateWitness(input: object, sanity: number): Promise<bigint[]> };

async function witness(circuit: CompiledCircuit, spec: ZkModelSpec, x: bigint[]): Promise<bigint[]> {
  const builder = requireCjs(circuit.witnessCalculator) as (code: Uint8Array) => Promise<WitnessCalculator>;
  const wc = await builder(new Uint8Array(await readFile(circuit.wasm)));
  const input: Record<string, string | string[]> = {
    executor: BigInt(EXECUTOR_A).toString(),
    x: x.map((v) => toField(v).toString()),
  };
  if (spec.weightMode === "private") input["w"] = weightVector(spec).map((v) => toField(v).toString());
  return wc.calculateWitness(input, 1);
}

/**
 * Every value vector of the TS trace equals the circuit's signals, bit for bit (as field
 * elements). Linear layers are circom vars (no signal); they are checked through the rescales
 * computed from them and the output commitment. The circuit's constraint count equals the report.
 */
async function expectBitForBit(
  circuit: CompiledCircuit,
  compiled: CompiledModel,
  x: bigint[],
): Promise<void> {
  const { spec } = compiled;
  const w = await witness(circuit, spec, x);
  const trace = runQuantized(spec, x);
  // Rescale outputs are signals; circom --O2 keeps main.v<id>[i] or its component's out, or
  // substitutes both away through a following linear constraint (then the values computed from
  // them, the output commitment and the r1cs check cover them).
  const signals = new Map<number, number>([[0, -1]]);
  spec.layers.forEach((l, k) => {
    if (l.op === "rescale") signals.set(l.output, k);
  });
  for (let id = 0; id < spec.values.length; id++) {
    const name = id === 0 ? "x" : `v${id}`;
    const k = signals.get(id);
    if (k === undefined) continue;
    trace.values[id]!.forEach((v, i) => {
      const idx = circuit.sym.get(`main.${name}[${i}]`) ?? circuit.sym.get(`main.r${k}[${i}].out`);
      if (idx === undefined && id !== 0) return;
      expect(idx, `main.${name}[${i}] in the witness`).toBeDefined();
      expect(w[idx!], `main.${name}[${i}]`).toBe(toField(v));
    });
  }
  // Public signals (witness 1..4): the commitments the verifier recomputes, then the executor.
  expect(w.slice(1, 5)).toEqual([
    compiled.weightsCommitment,
    await inputCommitment(spec, x),
    await commitVector(trace.output),
    BigInt(EXECUTOR_A),
  ]);
  expect(circuit.constraints).toBe(constraintReport(spec).total);
}

describe("circuit", () => {
  const circuits: CompiledCircuit[] = [];
  let iris: CompiledModel;
  let irisCircuit: CompiledCircuit;

  beforeAll(async () => {
    iris = await compileModel(irisOnnx());
    irisCircuit = await compileCircuit(iris);
    circuits.push(irisCircuit);
  }, 120_000); // circom runs here: seconds, more on a loaded machine
  afterAll(async () => {
    await Promise.all(circuits.map((c) => c.cleanup()));
  });

  it("default: the TS executor gives the circuit's values bit for bit on Iris samples", async () => {
    for (const i of [0, 57, 101, 149])
      await expectBitForBit(irisCircuit, iris, quantizeInputs(iris.spec, irisInput(i)));
  });

  it("behavior: the witness satisfies the r1cs (wtns check), negative inputs included", async () => {
    const x = [-3n * 65536n, 2n * 65536n + 12345n, -1n, 7n * 65536n];
    const wtns = { type: "mem" as const };
    await snarkjs.wtns.calculate(
      { executor: BigInt(EXECUTOR_B).toString(), x: x.map((v) => toField(v).toString()) },
      irisCircuit.wasm,
      wtns,
    );
    expect(await snarkjs.wtns.check(irisCircuit.r1cs, wtns)).toBe(true);
    await expectBitForBit(irisCircuit, iris, x);
  });

  it("behavior: every supported op (fused and standalone) matches bit for bit", async () => {
    const compiled = await compileModel(mixedOpsOnnx());
    const circuit = await compileCircuit(compiled);
    circuits.push(circuit);
    for (let t = 0; t < 4; t++) {
      const data = Float32Array.from({ length: 6 }, (_, i) => Math.sin(t * 3.1 + i) * 4);
      await expectBitForBit(
        circuit,
        compiled,
        quantizeInputs(compiled.spec, { features: { dtype: "float32", dims: [1, 2, 3], data } }),
      );
    }
  });

  it("behavior: the CNN ops (conv, pools, folded BatchNormalization, transpose, residual) match bit for bit", async () => {
    const compiled = await compileModel(smallCnnOnnx(), { scaleBits: 10 });
    const circuit = await compileCircuit(compiled);
    circuits.push(circuit);
    for (let t = 0; t < 3; t++) {
      const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + t * 101) % 256);
      await expectBitForBit(
        circuit,
        compiled,
        quantizeInputs(compiled.spec, { pixels: { dtype: "uint8", dims: [1, 1, 8, 8], data } }),
      );
    }
    // The 8-bit range check: a pixel of 256 has no witness.
    const builder = requireCjs(circuit.witnessCalculator) as (code: Uint8Array) => Promise<WitnessCalculator>;
    const wc = await builder(new Uint8Array(await readFile(circuit.wasm)));
    const x = new Array<string>(64).fill("0");
    x[5] = "256";
    await expect(wc.calculateWitness({ executor: "1", x }, 1)).rejects.toThrow();
  });

  it("behavior: private weight mode hashes the private weights to the same commitment", async () => {
    const compiled = await compileModel(irisOnnx(), { weightMode: "private" });
    const circuit = await compileCircuit(compiled);
    circuits.push(circuit);
    expect(compiled.weightsCommitment).toBe(iris.weightsCommitment);
    await expectBitForBit(circuit, compiled, quantizeInputs(compiled.spec, irisInput(77)));
    // Other weights → another commitment: the public signal binds the parameters.
    const w = weightVector(compiled.spec).map((v) => toField(v).toString());
    w[0] = toField(BigInt(w[0]!) + 1n).toString();
    const builder = requireCjs(circuit.witnessCalculator) as (code: Uint8Array) => Promise<WitnessCalculator>;
    const wc = await builder(new Uint8Array(await readFile(circuit.wasm)));
    const x = quantizeInputs(compiled.spec, irisInput(77)).map((v) => toField(v).toString());
    const tampered = await wc.calculateWitness({ executor: BigInt(EXECUTOR_A).toString(), x, w }, 1);
    expect(tampered[1]).not.toBe(compiled.weightsCommitment);
    expect(IRIS.x.length).toBe(150);
  });
});
