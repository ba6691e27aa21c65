import { decodeTensors, encodeTensors, hashTensors, type TensorMap } from "@opg/protocol";
import * as snarkjs from "snarkjs";
import { decodeFunctionData, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BASE_FIELD_ORDER,
  bindResultProof,
  decodeZkProof,
  encodeZkProof,
  expectedPublicSignals,
  type Groth16ProofPoints,
  terminateZkEngine,
  toSnarkjsProof,
  type ZkArtifacts,
  type ZkBatchItem,
  ZkError,
  type ZkProveResult,
  ZkProver,
  ZkVerifier,
} from "../src/index.js";
import { encodeVerifyProofCall, groth16VerifierAbi, verifierSolidity } from "../src/toolchain.js";
import { EXECUTOR_A, EXECUTOR_B, exampleArtifacts, irisInput } from "./helpers.js";

const SAMPLES = [0, 25, 55, 80, 110, 145];

describe("ZkVerifier", () => {
  let artifacts: ZkArtifacts;
  let verifier: ZkVerifier;
  let proofs: (ZkProveResult & { inputs: TensorMap })[];
  const items = () => proofs.map((p): ZkBatchItem => ({ proof: p.points, publicSignals: p.publicSignals }));

  beforeAll(async () => {
    artifacts = await exampleArtifacts();
    verifier = await ZkVerifier.create(artifacts.vkey);
    const prover = new ZkProver({ workers: 1 });
    await prover.start();
    proofs = [];
    for (const i of SAMPLES)
      proofs.push({ ...(await prover.prove(artifacts, irisInput(i), EXECUTOR_A)), inputs: irisInput(i) });
    await prover.stop();
  });
  afterAll(async () => {
    await terminateZkEngine();
  });

  it("default: a real proof verifies, as with snarkjs.groth16.verify", async () => {
    const p = proofs[0]!;
    expect(await verifier.verify(p.points, p.publicSignals)).toBe(true);
    expect(
      await snarkjs.groth16.verify(artifacts.vkey, p.publicSignals.map(String), toSnarkjsProof(p.points)),
    ).toBe(true);
  });

  it("behavior: the proof is bound to the weights, input and output commitments and the executor", async () => {
    const p = proofs[1]!;
    expect(p.publicSignals).toHaveLength(4);
    for (let k = 0; k < 4; k++) {
      const tampered = [...p.publicSignals];
      tampered[k] = tampered[k]! + 1n;
      expect(await verifier.verify(p.points, tampered)).toBe(false);
      expect(
        await snarkjs.groth16.verify(artifacts.vkey, tampered.map(String), toSnarkjsProof(p.points)),
      ).toBe(false);
    }
    // Another proof's signals (another input and output) do not verify with this proof.
    expect(await verifier.verify(p.points, proofs[2]!.publicSignals)).toBe(false);
    expect(await expectedPublicSignals(artifacts, p.inputs, p.outputs, EXECUTOR_A)).toEqual(p.publicSignals);
  });

  it("behavior: a proof made for executor A does not verify or bind for executor B", async () => {
    const p = proofs[2]!;
    // What a verifier (or the chain's adapter) recomputes for B: only the executor signal differs.
    const forB = await expectedPublicSignals(artifacts, p.inputs, p.outputs, EXECUTOR_B);
    expect(forB.slice(0, 3)).toEqual(p.publicSignals.slice(0, 3));
    expect(forB[3]).toBe(BigInt(EXECUTOR_B));
    expect(await verifier.verify(p.points, forB)).toBe(false);
    expect(await snarkjs.groth16.verify(artifacts.vkey, forB.map(String), toSnarkjsProof(p.points))).toBe(
      false,
    );
    expect((await verifier.verifyBatch([{ proof: p.points, publicSignals: forB }])).invalid).toEqual([0]);
    // A's proof bytes in a result signed by B: refused before any pairing, naming the executor.
    const claim = {
      modelId: artifacts.manifest.modelId,
      inputHash: hashTensors(p.inputs),
      outputs: p.outputs,
      outputHash: hashTensors(p.outputs),
      proof: p.proof,
    };
    const e = await bindResultProof(artifacts, { ...claim, executor: EXECUTOR_B }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ZkError);
    expect(e).toMatchObject({ code: "BINDING_MISMATCH" });
    expect((e as ZkError).message).toContain("executor");
    // B re-encoding A's proof with its own address as the 4th signal: binds, but does not verify.
    const relabeled = encodeZkProof({ ...decodeZkProof(p.proof), publicSignals: forB });
    const item = await bindResultProof(artifacts, { ...claim, executor: EXECUTOR_B, proof: relabeled });
    expect(await verifier.verify(item.proof, item.publicSignals)).toBe(false);
    // A's own claim binds and verifies.
    const own = await bindResultProof(artifacts, { ...claim, executor: EXECUTOR_A });
    expect(await verifier.verify(own.proof, own.publicSignals)).toBe(true);
  });

  it("behavior: bindResultProof ties the proof bytes to modelId, inputHash and the outputs", async () => {
    const [p, q] = [proofs[3]!, proofs[4]!];
    const claim = {
      modelId: artifacts.manifest.modelId,
      inputHash: hashTensors(p.inputs),
      outputs: p.outputs,
      outputHash: hashTensors(p.outputs),
      executor: EXECUTOR_A as Hex,
      proof: p.proof,
    };
    const item = await bindResultProof(artifacts, claim);
    expect(await verifier.verify(item.proof, item.publicSignals)).toBe(true);
    const reject = async (c: typeof claim) => {
      const e = await bindResultProof(artifacts, c).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ZkError);
      return (e as ZkError).code;
    };
    expect(await reject({ ...claim, modelId: `0x${"11".repeat(32)}` })).toBe("BINDING_MISMATCH");
    expect(await reject({ ...claim, inputHash: hashTensors(q.inputs) })).toBe("BINDING_MISMATCH");
    expect(await reject({ ...claim, outputs: q.outputs, outputHash: hashTensors(q.outputs) })).toBe(
      "BINDING_MISMATCH",
    );
    expect(await reject({ ...claim, outputHash: hashTensors(q.outputs) })).toBe("BINDING_MISMATCH");
    // The proof reused for another request: attach q's input (hash matches q) — commitment differs.
    const reused = encodeZkProof({ ...decodeZkProof(p.proof), input: encodeTensors(q.inputs) });
    expect(await reject({ ...claim, inputHash: hashTensors(q.inputs), proof: reused })).toBe(
      "BINDING_MISMATCH",
    );
    // Without the input attached nothing can be bound.
    const bare = encodeZkProof({ proof: p.points, publicSignals: p.publicSignals });
    expect(await reject({ ...claim, proof: bare })).toBe("BINDING_MISMATCH");
  });

  it("behavior: a batch of valid proofs passes with one final exponentiation", async () => {
    const batch = Array.from({ length: 16 }, (_, i) => items()[i % proofs.length]!);
    const res = await verifier.verifyBatch(batch);
    expect(res).toEqual({ valid: true, invalid: [], finalExponentiations: 1 });
  });

  it("behavior: planted bad proofs are rejected and identified", async () => {
    const batch = Array.from({ length: 16 }, (_, i) => items()[i % proofs.length]!);
    const good = batch[0]!;
    const other = batch[1]!;
    const swap = (i: number, proof: Partial<Groth16ProofPoints>, publicSignals = batch[i]!.publicSignals) => {
      batch[i] = { proof: { ...batch[i]!.proof, ...proof }, publicSignals };
    };
    const s3 = batch[3]!.publicSignals;
    swap(3, {}, [s3[0]!, s3[1]!, s3[2]! + 1n, s3[3]!]);
    swap(9, { c: good.proof.a }); // on the curve, wrong
    swap(12, { b: other.proof.b }); // a valid G2 point from another proof
    swap(14, { a: [good.proof.a[0], good.proof.a[1] + 1n] }); // not on the curve
    const res = await verifier.verifyBatch(batch);
    expect(res.valid).toBe(false);
    expect(res.invalid).toEqual([3, 9, 12, 14]);
    // The valid rest passes.
    const rest = batch.filter((_, i) => ![3, 9, 12, 14].includes(i));
    expect((await verifier.verifyBatch(rest)).valid).toBe(true);
  });

  it("behavior: a single bad proof among 64 is found by bisection", async () => {
    const batch = Array.from({ length: 64 }, (_, i) => items()[i % proofs.length]!);
    batch[41] = { proof: batch[41]!.proof, publicSignals: batch[40]!.publicSignals };
    const res = await verifier.verifyBatch(batch);
    expect(res.invalid).toEqual([41]);
    expect(res.finalExponentiations).toBeLessThanOrEqual(2 * Math.log2(64) + 1);
  });

  it("error: malformed items are invalid, not errors", async () => {
    const p = items()[0]!;
    const res = await verifier.verifyBatch([
      { proof: p.proof, publicSignals: p.publicSignals.slice(0, 3) },
      { proof: p.proof, publicSignals: [...p.publicSignals.slice(0, 3), BASE_FIELD_ORDER * 2n] },
      { proof: { ...p.proof, a: [0n, 0n] }, publicSignals: p.publicSignals },
      {
        proof: {
          ...p.proof,
          b: [
            [1n, 2n],
            [3n, 4n],
          ],
        },
        publicSignals: p.publicSignals,
      },
      p,
    ]);
    expect(res.invalid).toEqual([0, 1, 2, 3]);
  });
});

describe("proof bytes", () => {
  const proof: Groth16ProofPoints = {
    a: [1n, 2n],
    b: [
      [3n, 4n],
      [5n, 6n],
    ],
    c: [7n, BASE_FIELD_ORDER - 1n],
  };

  it("default: round-trips proof, public signals and the attached input", () => {
    const input = encodeTensors(irisInput(5));
    const bytes = encodeZkProof({ proof, publicSignals: [9n, 10n, 11n], input });
    expect(bytes.length).toBe(355 + 4 + input.length);
    const env = decodeZkProof(bytes);
    expect(env).toEqual({ proof, publicSignals: [9n, 10n, 11n], input });
    expect(decodeTensors(env.input!)).toEqual(irisInput(5));
    expect(encodeZkProof({ proof, publicSignals: [1n, 2n, 3n] }).length).toBe(355);
  });

  it("error: decoding is strict", () => {
    const bytes = encodeZkProof({ proof, publicSignals: [9n, 10n, 11n] });
    const bad = (mutate: (b: Uint8Array) => unknown) => {
      const copy = bytes.slice();
      const mutated = mutate(copy);
      try {
        decodeZkProof(mutated instanceof Uint8Array ? mutated : copy);
        return "decoded";
      } catch (e) {
        return (e as ZkError).code;
      }
    };
    expect(bad((b) => b.subarray(0, 300))).toBe("INVALID_PROOF_ENCODING");
    expect(bad((b) => Uint8Array.from([...b, 0]))).toBe("INVALID_PROOF_ENCODING");
    expect(
      bad((b) => {
        b[0] = 2;
      }),
    ).toBe("INVALID_PROOF_ENCODING");
    expect(
      bad((b) => {
        b[1] = 4;
      }),
    ).toBe("INVALID_PROOF_ENCODING");
    expect(bad((b) => b.fill(0xff, 2, 34))).toBe("INVALID_PROOF_ENCODING");
    expect(bad((b) => b.fill(0xff, 259, 291))).toBe("INVALID_PROOF_ENCODING");
    expect(
      bad((b) => {
        b[1] = 1; // claims an attached input that is not there
      }),
    ).toBe("INVALID_PROOF_ENCODING");
  });
});

describe("Solidity verifier", () => {
  it("default: exports the verifier source and the verifyProof calldata", async () => {
    const artifacts = await exampleArtifacts();
    const source = await verifierSolidity(artifacts);
    expect(source).toContain("contract Groth16Verifier");
    expect(source).toContain("uint[4] calldata _pubSignals");
    expect(await verifierSolidity(artifacts, "IrisMlpVerifier")).toContain("contract IrisMlpVerifier ");
    const proof: Groth16ProofPoints = {
      a: [1n, 2n],
      b: [
        [3n, 4n],
        [5n, 6n],
      ],
      c: [7n, 8n],
    };
    const data = encodeVerifyProofCall(proof, [9n, 10n, 11n]);
    const decoded = decodeFunctionData({ abi: groth16VerifierAbi(3), data });
    expect(decoded.args).toEqual([proof.a, proof.b, proof.c, [9n, 10n, 11n]]);
    // Same argument order as snarkjs' own calldata export.
    const cd = await snarkjs.groth16.exportSolidityCallData(toSnarkjsProof(proof), ["9", "10", "11"]);
    const words = [...cd.matchAll(/0x[0-9a-f]+/g)].map((m) => BigInt(m[0]));
    expect(words).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
  });
});
