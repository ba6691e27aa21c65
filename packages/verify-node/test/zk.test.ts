import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "@opg/daemon";
import {
  encodeTensors,
  hashEncodedTensors,
  hashTensors,
  modelIdFromBytes,
  ProofMode,
  type ResultMessage,
  type TensorMap,
} from "@opg/protocol";
import {
  EXAMPLE_ARTIFACTS_DIR,
  loadArtifacts,
  terminateZkEngine,
  weightsCommitmentBytes32,
  ZkArtifactStore,
  ZkProver,
} from "@opg/zk";
import { type Hex, keccak256, toHex, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyNodeConfig } from "../src/config.js";
import { zkArtifactRoots } from "../src/VerifyNode.js";
import { ZkProofVerifier } from "../src/zk/ZkProofVerifier.js";

const IRIS_ID = modelIdFromBytes(readFileSync(join(EXAMPLE_ARTIFACTS_DIR, "..", "iris-mlp.onnx")));
const iris = (x: number[]): TensorMap => ({
  input: { dtype: "float32", dims: [1, 4], data: new Float32Array(x) },
});

let commitment: Hex;
let result: (x?: number[]) => ResultMessage;
const prover = new ZkProver({ workers: 1 });
const proven = new Map<string, { outputs: TensorMap; proof: Uint8Array }>();

beforeAll(async () => {
  const store = new ZkArtifactStore([EXAMPLE_ARTIFACTS_DIR]);
  await store.scan();
  const artifacts = await loadArtifacts(
    join(EXAMPLE_ARTIFACTS_DIR, (await store.get(IRIS_ID))!.manifest.artifactKey),
  );
  commitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment);
  await prover.start();
  for (const x of [
    [5.1, 3.5, 1.4, 0.2],
    [6.3, 3.3, 6.0, 2.5],
  ]) {
    const r = await prover.prove(artifacts, iris(x));
    proven.set(x.join(), { outputs: r.outputs, proof: r.proof });
  }
  result = (x = [5.1, 3.5, 1.4, 0.2]) => {
    const { outputs, proof } = proven.get(x.join())!;
    const encoded = encodeTensors(outputs);
    return {
      requestId: keccak256(toHex(`request ${x.join()}`)),
      modelId: IRIS_ID,
      inputHash: hashTensors(iris(x)),
      outputHash: hashEncodedTensors(encoded),
      executor: zeroAddress,
      mode: ProofMode.ZK,
      outputs: encoded,
      proof,
      signature: "0x",
      origin: { type: "onchain" },
    };
  };
}, 60_000);

afterAll(async () => {
  await prover.stop();
  await terminateZkEngine();
});

describe("ZkProofVerifier", () => {
  const verifier = (deps: ConstructorParameters<typeof ZkProofVerifier>[1] = {}) =>
    new ZkProofVerifier({ artifactRoots: [EXAMPLE_ARTIFACTS_DIR] }, deps);

  it("default: a proven result verifies, with the registered commitment checked", async () => {
    const v = verifier({ registeredCommitment: async () => commitment });
    expect(v.mode).toBe(ProofMode.ZK);
    await v.verify(result());
    await v.verify(result([6.3, 3.3, 6.0, 2.5]));
    expect(v.stats).toEqual({ verified: 2, rejected: 0 });
  });

  it("error: tampered outputs are rejected (BINDING_MISMATCH)", async () => {
    const m = result();
    const outputs = structuredClone(proven.get("5.1,3.5,1.4,0.2")!.outputs);
    const logits = outputs["logits"]!.data as BigInt64Array;
    logits[0] = logits[0]! + 1n;
    const encoded = encodeTensors(outputs);
    const tampered = { ...m, outputs: encoded, outputHash: hashEncodedTensors(encoded) };
    await expect(verifier().verify(tampered)).rejects.toMatchObject({
      action: "REJECT",
      code: "BINDING_MISMATCH",
    });
  });

  it("error: another input's proof is rejected (BINDING_MISMATCH)", async () => {
    const other = result([6.3, 3.3, 6.0, 2.5]);
    await expect(verifier().verify({ ...result(), proof: other.proof })).rejects.toMatchObject({
      action: "REJECT",
      code: "BINDING_MISMATCH",
    });
  });

  it("error: a tampered proof point is rejected (INVALID_PROOF)", async () => {
    const m = result();
    const proof = Uint8Array.from(m.proof);
    // A.x and A.y replaced by the generator (1, 2): a valid point, a wrong proof.
    proof.fill(0, 2, 66);
    proof[33] = 1;
    proof[65] = 2;
    await expect(verifier().verify({ ...m, proof })).rejects.toMatchObject({
      action: "REJECT",
      code: "INVALID_PROOF",
    });
  });

  it("error: garbage proof bytes are rejected (INVALID_PROOF_ENCODING)", async () => {
    await expect(verifier().verify({ ...result(), proof: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({
      action: "REJECT",
      code: "INVALID_PROOF_ENCODING",
    });
  });

  it("edge: a model without artifacts is IGNORE; so is a registry naming other weights", async () => {
    await expect(
      verifier().verify({ ...result(), modelId: keccak256(toHex("no such model")) }),
    ).rejects.toMatchObject({ action: "IGNORE", code: "ZK_ARTIFACTS_MISSING" });
    await expect(
      verifier({ registeredCommitment: async () => keccak256(toHex("other weights")) }).verify(result()),
    ).rejects.toMatchObject({ action: "IGNORE", code: "ZK_COMMITMENT_MISMATCH" });
  });

  it("edge: an unreadable registry defers the result (CHAIN_UNAVAILABLE)", async () => {
    await expect(
      verifier({
        registeredCommitment: async () => {
          throw new Error("rpc down");
        },
      }).verify(result()),
    ).rejects.toMatchObject({ action: "IGNORE", code: "CHAIN_UNAVAILABLE" });
  });
});

describe("zk config", () => {
  it("args: off by default; artifacts in the data dir's cache then the committed examples", () => {
    const config = loadConfig(verifyNodeConfig, { env: {}, flags: {} }).config;
    expect(config.zk).toEqual({ enabled: false });
    expect(zkArtifactRoots({ ...config, dataDir: "/d" })).toEqual(["/d/zk-artifacts", EXAMPLE_ARTIFACTS_DIR]);
    const set = loadConfig(verifyNodeConfig, {
      env: { OPG_ZK_ENABLED: "true" },
      flags: { "zk.artifacts-dir": "/zk" },
    }).config;
    expect(set.zk).toEqual({ enabled: true, artifactsDir: "/zk" });
    expect(zkArtifactRoots({ ...set, dataDir: "/d" })).toEqual(["/zk"]);
  });
});
