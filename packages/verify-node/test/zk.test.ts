import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, Metrics } from "@opg/daemon";
import {
  encodeTensors,
  hashEncodedTensors,
  hashTensors,
  modelIdFromBytes,
  ProofMode,
  type ResultMessage,
  type TensorMap,
} from "@opg/protocol";
import { waitFor } from "@opg/testkit";
import {
  EXAMPLE_ARTIFACTS_DIR,
  EXAMPLE_ONNX_PATH,
  loadArtifacts,
  terminateZkEngine,
  vkHash,
  weightsCommitmentBytes32,
  ZkArtifactStore,
  ZkProver,
  ZkVerifier,
} from "@opg/zk";
import { type Hex, keccak256, toHex, zeroAddress } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ZkListing } from "../src/chain/ChainView.js";
import { verifyNodeConfig } from "../src/config.js";
import { minCeremonyContributors, zkArtifactRoots } from "../src/VerifyNode.js";
import { createVerifyMetrics } from "../src/verifyMetrics.js";
import { ZkProofVerifier } from "../src/zk/ZkProofVerifier.js";

const IRIS_ID = modelIdFromBytes(readFileSync(EXAMPLE_ONNX_PATH));
const iris = (x: number[]): TensorMap => ({
  input: { dtype: "float32", dims: [1, 4], data: new Float32Array(x) },
});

let commitment: Hex;
let keyHash: Hex;
const LISTING = keccak256(toHex("listing"));
const listingOf =
  (over: Partial<ZkListing> = {}) =>
  async (): Promise<ZkListing> => ({
    listingId: LISTING,
    weightsCommitment: commitment,
    vkHash: keyHash,
    sealed: true,
    transcriptHash: keccak256(toHex("transcript")),
    ...over,
  });
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
  keyHash = vkHash(artifacts.vkey);
  await prover.start();
  for (const x of [
    [5.1, 3.5, 1.4, 0.2],
    [6.3, 3.3, 6.0, 2.5],
  ]) {
    const r = await prover.prove(artifacts, iris(x), zeroAddress); // the results' executor
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

  it("default: a proven result verifies, with the listing's commitment and key hash checked", async () => {
    const v = verifier({ listing: listingOf() });
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

  it("error: a proof made for another executor is rejected (BINDING_MISMATCH)", async () => {
    // The proofs name zeroAddress; the same bytes in a result of executor 0x…b0b do not bind.
    const executor: Hex = "0xb0b0000000000000000000000000000000000b0b";
    await expect(verifier().verify({ ...result(), executor })).rejects.toMatchObject({
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
      verifier({ listing: listingOf({ weightsCommitment: keccak256(toHex("other weights")) }) }).verify(
        result(),
      ),
    ).rejects.toMatchObject({ action: "IGNORE", code: "ZK_COMMITMENT_MISMATCH" });
    await expect(verifier({ listing: async () => undefined }).verify(result())).rejects.toMatchObject({
      action: "IGNORE",
      code: "ZK_NO_LISTING",
    });
  });

  it("error: a key the listing does not name is never used (e.g. a single party's setup)", async () => {
    // The listing's sealed key is a ceremony's; this node's artifacts hold another key.
    const v = verifier({ listing: listingOf({ vkHash: keccak256(toHex("the ceremony's key")) }) });
    await expect(v.verify(result())).rejects.toMatchObject({ action: "IGNORE", code: "ZK_KEY_MISMATCH" });
    expect(v.stats).toEqual({ verified: 0, rejected: 0 });
    // And a node whose policy refuses the key (no contribution of its own) checks nothing with it.
    const refusing = verifier({
      listing: listingOf(),
      keyPolicy: async () => "lacks this verifier's contribution",
    });
    await expect(refusing.verify(result())).rejects.toMatchObject({
      action: "IGNORE",
      code: "ZK_KEY_NOT_TRUSTED",
    });
  });

  it("edge: an unreadable registry defers the result (CHAIN_UNAVAILABLE)", async () => {
    await expect(
      verifier({
        listing: async () => {
          throw new Error("rpc down");
        },
      }).verify(result()),
    ).rejects.toMatchObject({ action: "IGNORE", code: "CHAIN_UNAVAILABLE" });
  });
});

describe("ZkProofVerifier batching", () => {
  const X2 = [6.3, 3.3, 6.0, 2.5];
  const verifier = (batch: { maxBatchSize?: number; maxWaitMs?: number }, metrics?: Metrics) =>
    new ZkProofVerifier(
      { artifactRoots: [EXAMPLE_ARTIFACTS_DIR], batch },
      { metrics: metrics && createVerifyMetrics(metrics) },
    );
  /** Counts the pairing checks (calls through to the real ZkVerifier). */
  const spy = () => vi.spyOn(ZkVerifier.prototype, "verifyBatch");
  afterEach(() => vi.restoreAllMocks());
  /** `n` results, alternating between the two proven inputs. */
  const results = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? result(X2) : result()));
  /** The result with its proof bytes changed (proof points only: it still binds). */
  const planted = (m: ResultMessage, edit: (proof: Uint8Array) => void): ResultMessage => {
    const proof = Uint8Array.from(m.proof);
    edit(proof);
    return { ...m, proof };
  };
  const settle = (v: ZkProofVerifier, ms: readonly ResultMessage[]) =>
    Promise.allSettled(ms.map((m) => v.verify(m)));

  it("behavior: results arriving together are verified with one verifyBatch call", async () => {
    const calls = spy();
    const v = verifier({ maxBatchSize: 16, maxWaitMs: 60_000 });
    const started = performance.now();
    const out = await settle(v, results(16));
    // Cut at 16 proofs, long before the wait.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(out.every((o) => o.status === "fulfilled")).toBe(true);
    expect(calls).toHaveBeenCalledTimes(1);
    expect(calls.mock.calls[0]![0]).toHaveLength(16);
    expect(v.stats).toEqual({ verified: 16, rejected: 0 });
    expect(v.queue.stats).toEqual({ batches: 1, items: 16, invalid: 0, largestBatch: 16 });
  });

  it("behavior: planted bad proofs in a batch are rejected, exactly those; binding failures never enter it", async () => {
    const calls = spy();
    const v = verifier({ maxBatchSize: 64, maxWaitMs: 300 });
    const ms = results(12);
    const other = result(X2).proof;
    // A := the generator (1, 2): on the curve, wrong.
    ms[2] = planted(ms[2]!, (p) => {
      p.fill(0, 2, 66);
      p[33] = 1;
      p[65] = 2;
    });
    // A.y changed: not on the curve (refused before the pairing check).
    ms[5] = planted(ms[5]!, (p) => {
      p[65] = p[65]! ^ 1;
    });
    // B of another input's proof: a valid G2 point, a wrong proof.
    ms[7] = planted(ms[7]!, (p) => p.set(result().proof.subarray(66, 194), 66)); // ms[7] proves X2
    // C := A.
    ms[10] = planted(ms[10]!, (p) => p.set(p.subarray(2, 66), 194));
    // Another input's proof: refused when binding, before batching.
    ms[11] = { ...result(), proof: other };
    const out = await settle(v, ms);
    const rejected = out.flatMap((o, i) => (o.status === "rejected" ? [[i, o.reason]] : []));
    expect(rejected.map(([i]) => i)).toEqual([2, 5, 7, 10, 11]);
    for (const [i, reason] of rejected) {
      expect(reason).toMatchObject({
        action: "REJECT",
        code: i === 11 ? "BINDING_MISMATCH" : "INVALID_PROOF",
      });
    }
    expect(calls).toHaveBeenCalledTimes(1);
    expect(calls.mock.calls[0]![0]).toHaveLength(11);
    expect(v.stats).toEqual({ verified: 7, rejected: 5 });
    expect(v.queue.stats).toEqual({ batches: 1, items: 11, invalid: 4, largestBatch: 11 });
  });

  it("behavior: a lone result completes after the wait; batches are measured", async () => {
    const calls = spy();
    const metrics = new Metrics({ defaultMetrics: false });
    const v = verifier({ maxBatchSize: 64, maxWaitMs: 200 }, metrics);
    const started = performance.now();
    await v.verify(result());
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(calls).toHaveBeenCalledTimes(1);
    expect(v.queue.stats).toMatchObject({ batches: 1, items: 1 });
    // A later result starts a new batch.
    await expect(v.verify(planted(result(), (p) => p.set(p.subarray(2, 66), 194)))).rejects.toMatchObject({
      action: "REJECT",
      code: "INVALID_PROOF",
    });
    expect(v.queue.stats).toEqual({ batches: 2, items: 2, invalid: 1, largestBatch: 1 });
    const text = await metrics.text();
    expect(text).toMatch(/^opg_verify_zk_batch_size_sum 2$/m);
    expect(text).toMatch(/^opg_verify_zk_batch_size_count 2$/m);
    expect(text).toMatch(/^opg_verify_zk_batch_duration_seconds_count 2$/m);
  });

  it("edge: stop() lets the batch being verified finish, drops the waiting proofs (IGNORE), refuses new ones", async () => {
    const calls = spy();
    const v = verifier({ maxBatchSize: 2, maxWaitMs: 60_000 });
    const pending = settle(v, results(3));
    // Two are cut into a batch at once; the third waits for a partner that never comes.
    await waitFor(
      "one batch cut and one proof waiting",
      () => calls.mock.calls.length === 1 && v.queue.waiting === 1,
      {
        intervalMs: 2,
      },
    );
    await v.stop();
    const out = await pending;
    expect(out.filter((o) => o.status === "fulfilled")).toHaveLength(2);
    const dropped = out.filter((o) => o.status === "rejected");
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.reason).toMatchObject({ action: "IGNORE", code: "SHUTTING_DOWN" });
    await expect(v.verify(result())).rejects.toMatchObject({ action: "IGNORE", code: "SHUTTING_DOWN" });
    expect(calls).toHaveBeenCalledTimes(1);
    expect(v.queue.stats).toEqual({ batches: 1, items: 2, invalid: 0, largestBatch: 2 });
    expect(v.queue.waiting).toBe(0);
  });
});

describe("zk config", () => {
  it("args: off by default; artifacts in the data dir's cache, then the committed examples on a devnet only; ceremony policy f + 1 except on a devnet", () => {
    const config = loadConfig(verifyNodeConfig, { env: {}, flags: {} }).config;
    expect(config.zk).toEqual({
      enabled: false,
      maxBatchSize: 64,
      maxBatchWaitMs: 25,
      ceremonyMaxZkeyBytes: 512 * 1024 ** 2,
    });
    // The default chain id is the dev chain's (31337): the devnet profile.
    expect(zkArtifactRoots({ ...config, dataDir: "/d" })).toEqual(["/d/zk-artifacts", EXAMPLE_ARTIFACTS_DIR]);
    expect(minCeremonyContributors(config)).toBe(0);
    const prod = loadConfig(verifyNodeConfig, { env: { OPG_CHAIN_CHAIN_ID: "8453" }, flags: {} }).config;
    expect(zkArtifactRoots({ ...prod, dataDir: "/d" })).toEqual(["/d/zk-artifacts"]);
    expect(minCeremonyContributors(prod)).toBe("f+1");
    const explicit = loadConfig(verifyNodeConfig, {
      env: { OPG_CHAIN_CHAIN_ID: "8453", OPG_ZK_MIN_CEREMONY_CONTRIBUTORS: "3" },
      flags: {},
    }).config;
    expect(minCeremonyContributors(explicit)).toBe(3);
    const set = loadConfig(verifyNodeConfig, {
      env: { OPG_ZK_ENABLED: "true" },
      flags: { "zk.artifacts-dir": "/zk" },
    }).config;
    expect(set.zk).toEqual({
      enabled: true,
      artifactsDir: "/zk",
      maxBatchSize: 64,
      maxBatchWaitMs: 25,
      ceremonyMaxZkeyBytes: 512 * 1024 ** 2,
    });
    expect(zkArtifactRoots({ ...set, dataDir: "/d" })).toEqual(["/zk"]);
  });

  it("args: the proof batch size and wait are set and validated like the other keys", () => {
    const set = loadConfig(verifyNodeConfig, {
      env: { OPG_ZK_MAX_BATCH_SIZE: "8" },
      flags: { "zk.max-batch-wait-ms": "0" },
    }).config;
    expect(set.zk).toMatchObject({ maxBatchSize: 8, maxBatchWaitMs: 0 });
    const load = (flags: Record<string, string>) => () => loadConfig(verifyNodeConfig, { env: {}, flags });
    expect(load({ "zk.max-batch-size": "0" })).toThrow(/zk\.maxBatchSize/);
    expect(load({ "zk.max-batch-size": "2.5" })).toThrow(/zk\.maxBatchSize/);
    expect(load({ "zk.max-batch-wait-ms": "-1" })).toThrow(/zk\.maxBatchWaitMs/);
  });
});
