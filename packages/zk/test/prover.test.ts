import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commitVector,
  decodeZkProof,
  quantizeInputs,
  readZkOutputs,
  runQuantized,
  toSnarkjsProof,
  type ZkArtifacts,
  ZkError,
  type ZkProveLabels,
  ZkProver,
} from "../src/index.js";
import { EXECUTOR_A, exampleArtifacts, irisInput } from "./helpers.js";

describe("ZkProver", () => {
  let artifacts: ZkArtifacts;
  let prover: ZkProver;
  const observed: { seconds: number; labels: ZkProveLabels }[] = [];

  beforeAll(async () => {
    artifacts = await exampleArtifacts();
    prover = new ZkProver(
      { workers: 2 },
      { onProveTime: (seconds, labels) => observed.push({ seconds, labels }) },
    );
    await prover.start();
    await prover.preload(artifacts);
    await commitVector([1n]); // load Poseidon before counting event-loop turns
  });
  afterAll(async () => {
    await prover.stop();
  });

  it("default: proves an inference; the proof verifies and speaks about the quantized outputs", async () => {
    const inputs = irisInput(10);
    const r = await prover.prove(artifacts, inputs, EXECUTOR_A);
    const x = quantizeInputs(artifacts.spec, inputs);
    expect(r.quantizedInput).toEqual(x);
    expect(r.quantizedOutput).toEqual(runQuantized(artifacts.spec, x).output);
    expect(readZkOutputs(artifacts.spec, r.outputs)).toEqual(r.quantizedOutput);
    expect(r.outputs["logits"]).toMatchObject({ dtype: "int64", dims: [1, 3] });
    expect(
      await snarkjs.groth16.verify(artifacts.vkey, r.publicSignals.map(String), toSnarkjsProof(r.points)),
    ).toBe(true);
    const env = decodeZkProof(r.proof);
    expect(env.publicSignals).toEqual(r.publicSignals);
    expect(env.input).toBeDefined();
    expect(r.publicSignals).toHaveLength(4);
    expect(r.publicSignals[3]).toBe(BigInt(EXECUTOR_A));
    expect(r.proof.length).toBeLessThan(440);
    expect(r.timings.proveSeconds).toBeGreaterThan(0);
    const last = observed.at(-1)!;
    expect(last.labels).toEqual({
      modelId: artifacts.manifest.modelId,
      artifactKey: artifacts.manifest.artifactKey,
      ok: true,
    });
    expect(last.seconds).toBeCloseTo(r.timings.witnessSeconds + r.timings.proveSeconds, 6);
  });

  it("behavior: proving runs in worker threads and keeps the event loop free", async () => {
    // Counts turns of the event loop while the proofs are pending: proving on the main thread would
    // leave (almost) none. No clock is read: the check holds however slow the machine is.
    let turns = 0;
    let pending = true;
    const spin = () => {
      if (!pending) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const results = await Promise.all(
      [1, 60, 120, 140].map((i) => prover.prove(artifacts, irisInput(i), EXECUTOR_A)),
    );
    pending = false;
    expect(results).toHaveLength(4);
    expect(turns).toBeGreaterThanOrEqual(100);
  });

  it("behavior: the pool proves concurrent requests with distinct results", async () => {
    const rs = await Promise.all([0, 50, 100].map((i) => prover.prove(artifacts, irisInput(i), EXECUTOR_A)));
    const argmax = (v: bigint[]) => {
      let best = 0;
      v.forEach((x, i) => {
        if (x > v[best]!) best = i;
      });
      return best;
    };
    expect(rs.map((r) => argmax(r.quantizedOutput))).toEqual([0, 1, 2]);
    expect(new Set(rs.map((r) => r.publicSignals[1])).size).toBe(3);
  });

  it("behavior: the opg engine and snarkjs.groth16.prove give proofs of the same statement", async () => {
    const reference = new ZkProver({ workers: 1, engine: "snarkjs" });
    await reference.start();
    try {
      for (const i of [7, 77, 147]) {
        const [ours, theirs] = await Promise.all([
          prover.prove(artifacts, irisInput(i), EXECUTOR_A),
          reference.prove(artifacts, irisInput(i), EXECUTOR_A),
        ]);
        expect(ours.publicSignals).toEqual(theirs.publicSignals);
        expect(ours.quantizedOutput).toEqual(theirs.quantizedOutput);
        for (const r of [ours, theirs]) {
          expect(
            await snarkjs.groth16.verify(
              artifacts.vkey,
              r.publicSignals.map(String),
              toSnarkjsProof(r.points),
            ),
          ).toBe(true);
        }
        // Fresh randomness (r, s) per proof: never the same points twice.
        expect(ours.points).not.toEqual(theirs.points);
      }
    } finally {
      await reference.stop();
    }
  });

  it("error: refuses inputs that do not fit the model", async () => {
    const bad = { input: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array(3) } };
    await expect(prover.prove(artifacts, bad, EXECUTOR_A)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    // The executor must be an address (it becomes the uint160 public signal).
    await expect(prover.prove(artifacts, irisInput(0), "0x1234")).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it("error: an aborted request rejects with PROVER_CLOSED", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      prover.prove(artifacts, irisInput(3), EXECUTOR_A, { signal: ac.signal }),
    ).rejects.toMatchObject({
      code: "PROVER_CLOSED",
    });
  });

  it("error: a stopped prover refuses work", async () => {
    const p = new ZkProver({ workers: 1 });
    await p.start();
    await p.stop();
    const e = await p.prove(artifacts, irisInput(0), EXECUTOR_A).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ZkError);
    expect((e as ZkError).code).toBe("PROVER_CLOSED");
  });

  it("error: preloading missing artifacts rejects with ARTIFACT_MISSING", async () => {
    const missing = {
      ...artifacts,
      manifest: { ...artifacts.manifest, artifactKey: "missing" },
      zkeyPath: "/nonexistent/circuit.zkey",
    };
    await expect(prover.preload(missing)).rejects.toMatchObject({ code: "ARTIFACT_MISSING" });
  });

  it("args: the worker count must be a positive integer; the engine opg or snarkjs", () => {
    expect(() => new ZkProver({ workers: 0 })).toThrowError(ZkError);
    expect(() => new ZkProver({ engine: "rapidsnark" as "opg" })).toThrowError(ZkError);
  });
});
