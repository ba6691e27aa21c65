import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEV_ROOT_CERT_FILE,
  DevEnclave,
  DevRoot,
  decodeTeeProof,
  devEnclavePcrs,
  enclaveMeasurement,
  NitroAttestationVerifier,
  TeeVerifier,
} from "@opg/attestation";
import { loadConfig } from "@opg/daemon";
import { hashTensors, ProofMode, resultHash, type TensorMap } from "@opg/protocol";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { execNodeConfig } from "../src/config.js";
import { TeeProofProvider } from "../src/proof/TeeProofProvider.js";

const EXECUTOR = privateKeyToAddress(keccak256(toHex("opg/exec-tee-test/executor")));
const job = {
  requestId: keccak256(toHex("request")),
  modelId: keccak256(toHex("model")),
  inputHash: keccak256(toHex("input")),
  inputs: {} as TensorMap,
};
const outputs: TensorMap = { y: { dtype: "float32", dims: [2], data: new Float32Array([1.5, -2]) } };

let root: DevRoot;
let enclave: DevEnclave;

beforeAll(async () => {
  root = await DevRoot.generate();
  enclave = await DevEnclave.create({ root, imageId: "opg-exec-test:1" });
});

function verifierFor(measurements: readonly Hex[]) {
  return new TeeVerifier({
    attestationVerifier: new NitroAttestationVerifier({ extraRoots: [root.certificatePem] }),
    measurementAllowlist: () => measurements,
  });
}

describe("TeeProofProvider", () => {
  it("default: the outputs come from the run; the proof binds this executor's resultHash for the enclave's image", async () => {
    const provider = new TeeProofProvider({}, { enclaveProvider: enclave, executor: EXECUTOR });
    expect(provider.mode).toBe(ProofMode.TEE);
    const info = await provider.start();
    expect(info).toMatchObject({
      enclave: provider.prover.enclaveAddress,
      measurement: enclaveMeasurement(devEnclavePcrs("opg-exec-test:1")),
      moduleId: enclave.moduleId,
    });
    expect(info.pcrs[0]).toMatch(/^0x[0-9a-f]{96}$/);
    let runs = 0;
    const produced = await provider.produce(job, async () => {
      runs++;
      return outputs;
    });
    expect(runs).toBe(1);
    expect(produced.outputs).toBe(outputs);
    const hash = resultHash({ ...job, outputHash: hashTensors(outputs), executor: EXECUTOR });
    const verifier = verifierFor([info.measurement]);
    const verified = verifier.verifyProof({ modelId: job.modelId, resultHash: hash, proof: produced.proof });
    expect(verified).toMatchObject({ binding: "enclave-key", enclave: { address: info.enclave } });
    // Bound to the executor: the same proof for another executor's result hash does not verify.
    const other = resultHash({
      ...job,
      outputHash: hashTensors(outputs),
      executor: job.requestId.slice(0, 42) as Hex,
    });
    expect(() =>
      verifier.verifyProof({ modelId: job.modelId, resultHash: other, proof: produced.proof }),
    ).toThrow(/not signed by the attested enclave key/);
    // A model that does not list the image refuses it.
    expect(() =>
      verifierFor([keccak256(toHex("another image"))]).verifyProof({
        modelId: job.modelId,
        resultHash: hash,
        proof: produced.proof,
      }),
    ).toThrow(/not allowed/);
  });

  it("behavior: the document rides along with the first proof, then every documentIntervalMs; ids in between", async () => {
    const provider = new TeeProofProvider(
      { documentIntervalMs: 60_000 },
      { enclaveProvider: enclave, executor: EXECUTOR },
    );
    const kinds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { proof } = await provider.produce(
        { ...job, requestId: keccak256(toHex(`r${i}`)) },
        async () => outputs,
      );
      const decoded = decodeTeeProof(proof);
      if (decoded.binding !== "enclave-key") throw new Error("expected the enclave-key binding");
      kinds.push("document" in decoded.attestation ? "document" : "id");
    }
    expect(kinds).toEqual(["document", "id", "id"]);
  });

  it('args: binding "document" attaches a document per result with user_data = resultHash', async () => {
    const provider = new TeeProofProvider(
      { binding: "document" },
      { enclaveProvider: enclave, executor: EXECUTOR },
    );
    const { proof } = await provider.produce(job, async () => outputs);
    expect(decodeTeeProof(proof).binding).toBe("document");
    const hash = resultHash({ ...job, outputHash: hashTensors(outputs), executor: EXECUTOR });
    expect(
      verifierFor([enclaveMeasurement(enclave.pcrs)]).verifyProof({
        modelId: job.modelId,
        resultHash: hash,
        proof,
      }).binding,
    ).toBe("document");
  });

  it("args: tee config keys parse with their defaults, from flags and env", () => {
    const defaults = loadConfig(execNodeConfig, { env: {}, flags: {} }).config.tee;
    expect(defaults).toEqual({
      enabled: false,
      provider: "dev",
      devRootDir: "nitro-dev",
      imageId: "opg-dev-enclave",
      binding: "enclave-key",
      refreshIntervalMs: 300_000,
      documentIntervalMs: 30_000,
    });
    const set = loadConfig(execNodeConfig, {
      env: { OPG_TEE_IMAGE_ID: "opg-exec:2" },
      flags: { "tee.enabled": "true", "tee.dev-root-dir": "/shared/nitro" },
    }).config.tee;
    expect(set).toMatchObject({ enabled: true, imageId: "opg-exec:2", devRootDir: "/shared/nitro" });
    expect(() => loadConfig(execNodeConfig, { env: {}, flags: { "tee.provider": "nsm" } })).toThrow(
      /tee\.provider/,
    );
  });

  it("behavior: executors sharing a dev root dir chain to one root that verifiers read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opg-dev-root-"));
    const [a, b] = await Promise.all([DevRoot.loadOrCreate(dir), DevRoot.loadOrCreate(dir)]);
    expect(a.root.fingerprint).toBe(b.root.fingerprint);
    expect(readFileSync(join(dir, DEV_ROOT_CERT_FILE), "utf8")).toBe(a.root.certificatePem);
  });
});
