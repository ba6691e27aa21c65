import { readFileSync } from "node:fs";
import { loadConfig } from "@opg/daemon";
import { hashTensors, modelIdFromBytes, ProofMode, type TensorMap } from "@opg/protocol";
import {
  bindResultProof,
  EXAMPLE_ARTIFACTS_DIR,
  EXAMPLE_ONNX_PATH,
  loadVerifyingArtifacts,
  terminateZkEngine,
  ZkVerifier,
} from "@opg/zk";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execNodeConfig } from "../src/config.js";
import { zkArtifactRoots } from "../src/ExecNode.js";
import { ZkProofProvider } from "../src/proof/ZkProofProvider.js";

const IRIS_ID = modelIdFromBytes(readFileSync(EXAMPLE_ONNX_PATH));
const inputs: TensorMap = {
  input: { dtype: "float32", dims: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) },
};
const job = (modelId: Hex = IRIS_ID) => ({
  requestId: keccak256(toHex("request")),
  modelId,
  inputHash: hashTensors(inputs),
  inputs,
});
const noRun = async (): Promise<TensorMap> => {
  throw new Error("ZK mode must not run onnxruntime");
};

const EXECUTOR: Hex = "0x1111111111111111111111111111111111111111";

describe("ZkProofProvider", () => {
  const provider = new ZkProofProvider(
    { workers: 1, artifactRoots: [EXAMPLE_ARTIFACTS_DIR] },
    { executor: EXECUTOR },
  );

  beforeAll(async () => {
    expect(await provider.start()).toContain(IRIS_ID.toLowerCase());
  });

  afterAll(async () => {
    await provider.stop();
    await terminateZkEngine();
  });

  it("default: proves the Iris model; the outputs are the quantized ones the proof speaks about", async () => {
    expect(provider.mode).toBe(ProofMode.ZK);
    const { outputs, proof } = await provider.produce(job(), noRun);
    expect(outputs["logits"]).toMatchObject({ dtype: "int64", dims: [1, 3] });
    const artifacts = (await provider.artifacts.get(IRIS_ID))!;
    const claim = {
      modelId: IRIS_ID,
      inputHash: hashTensors(inputs),
      outputs,
      outputHash: hashTensors(outputs),
      executor: EXECUTOR,
      proof,
    };
    const item = await bindResultProof(artifacts, claim);
    const verifier = await ZkVerifier.create((await loadVerifyingArtifacts(artifacts.dir)).vkey);
    expect(await verifier.verify(item.proof, item.publicSignals)).toBe(true);
    // The proof names this provider's executor: a result signed by anyone else does not bind.
    expect(item.publicSignals[3]).toBe(BigInt(EXECUTOR));
    await expect(
      bindResultProof(artifacts, { ...claim, executor: "0x2222222222222222222222222222222222222222" }),
    ).rejects.toMatchObject({ code: "BINDING_MISMATCH" });
  }, 60_000);

  it("error: a model without ZK artifacts is MODE_NOT_SUPPORTED", async () => {
    await expect(provider.produce(job(keccak256(toHex("other model"))), noRun)).rejects.toMatchObject({
      code: "MODE_NOT_SUPPORTED",
    });
  });

  it("error: an input the circuit cannot take is INVALID_INPUT", async () => {
    const bad = { ...job(), inputs: { x: inputs["input"]! } };
    await expect(provider.produce(bad, noRun)).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("error: uint8 (bindable by a proof) sent to a circuit that takes float32 is INVALID_INPUT", async () => {
    const bytes = {
      ...job(),
      inputs: { input: { dtype: "uint8" as const, dims: [1, 4], data: new Uint8Array(4) } },
    };
    await expect(provider.produce(bytes, noRun)).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringMatching(/must be float32 or float64; got uint8/),
    });
  });
});

describe("zk config", () => {
  it("args: off by default, 1 worker, artifacts in the data dir's cache then (devnets) the committed examples", () => {
    const config = loadConfig(execNodeConfig, { env: {}, flags: {} }).config;
    expect(config.zk).toEqual({ enabled: false, workers: 1 });
    expect(zkArtifactRoots({ ...config, dataDir: "/d" })).toEqual(["/d/zk-artifacts", EXAMPLE_ARTIFACTS_DIR]);
    // The committed examples are searched on a devnet (chain id 31337) only.
    const prod = loadConfig(execNodeConfig, { env: { OPG_CHAIN_CHAIN_ID: "8453" }, flags: {} }).config;
    expect(zkArtifactRoots({ ...prod, dataDir: "/d" })).toEqual(["/d/zk-artifacts"]);
    const set = loadConfig(execNodeConfig, {
      env: { OPG_ZK_WORKERS: "2" },
      flags: { "zk.enabled": "true", "zk.artifacts-dir": "zk" },
    }).config;
    expect(set.zk).toEqual({ enabled: true, workers: 2, artifactsDir: "zk" });
    expect(zkArtifactRoots({ ...set, dataDir: "/d" })).toEqual(["/d/zk"]);
  });
});
