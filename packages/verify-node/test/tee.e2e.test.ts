import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevRoot, decodeTeeProof, devEnclavePcrs, enclaveMeasurement } from "@opg/attestation";
import { enclaveRegistryAbi, inferenceHubAbi, listingIdOf, modeMask } from "@opg/contracts";
import {
  encodeTensors,
  hashEncodedTensors,
  inferRequestBody,
  modelIdFromBytes,
  type OpgDomain,
  ProofMode,
  signInferenceRequest,
  type TensorMap,
  tensorsToJson,
} from "@opg/protocol";
import {
  addModel,
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  HardhatNode,
  type LocalNetwork,
  matmulModel,
  waitFor,
} from "@opg/testkit";
import { type Address, type Hex, hexToBytes } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonNode, prepareDaemonNode, startArgs } from "./helpers/daemonNodes.js";

/**
 * TEE mode end to end with real processes: a hardhat node and the contracts, 1 opg-exec with a
 * dev enclave (its root in a folder shared with the verifiers, as on a devnet), 3 opg-verify
 * (f = 1) trusting that dev root, on libp2p. One model allows the dev enclave's measurement;
 * another allows only some other image's.
 */

const IMAGE_ID = "opg-e2e-enclave:1";
const MEASUREMENT = enclaveMeasurement(devEnclavePcrs(IMAGE_ID));
const OTHER_MEASUREMENT = enclaveMeasurement(devEnclavePcrs("some-other-image:1"));
const TEE_MODEL = addModel();
const TEE_MODEL_ID = modelIdFromBytes(TEE_MODEL);
const OTHER_MODEL = matmulModel();
const OTHER_MODEL_ID = modelIdFromBytes(OTHER_MODEL);

describe("TEE mode: dev enclave executor, 3 verifiers (f = 1) with the dev root, real chain and libp2p", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let domain: OpgDomain;
  let exec: DaemonNode;
  const verifiers: DaemonNode[] = [];
  let nonce = 0n;
  const root = mkdtempSync(join(tmpdir(), "opg-tee-"));
  const devRootDir = join(root, "nitro-dev");

  beforeAll(async () => {
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [
        {
          modelId: TEE_MODEL_ID,
          metadataURI: "test://add",
          modes: modeMask(ProofMode.TEE),
          price: 0n,
          measurements: [MEASUREMENT],
        },
        {
          modelId: OTHER_MODEL_ID,
          metadataURI: "test://matmul",
          modes: modeMask(ProofMode.TEE),
          price: 0n,
          measurements: [OTHER_MEASUREMENT],
        },
      ],
    });
    domain = { chainId: net.deployment.chainId, verifyingContract: net.deployment.inferenceHub };
    // The devnet's shared folder: the dev root its enclaves chain to and its verifiers trust.
    await DevRoot.loadOrCreate(devRootDir);
    exec = await prepareDaemonNode(root, "exec-node", 0, net.executorKeys[0]!, net.deployment);
    for (const [i, key] of net.verifierKeys.entries())
      verifiers.push(await prepareDaemonNode(root, "verify-node", i, key, net.deployment));
    const all = [exec, ...verifiers];
    for (const [name, bytes] of [
      ["add", TEE_MODEL],
      ["matmul", OTHER_MODEL],
    ] as const) {
      writeFileSync(join(exec.dir, `${name}.onnx`), bytes);
      execFileSync(process.execPath, [
        daemonCliPath("exec-node"),
        "--data-dir",
        exec.dir,
        "models",
        "add",
        join(exec.dir, `${name}.onnx`),
      ]);
    }
    exec.proc = new DaemonProcess(
      "exec-node",
      startArgs(exec, all, chain.rpcUrl, [
        "--republish-interval-ms",
        "3000",
        "--tee.enabled",
        "true",
        "--tee.provider",
        "dev",
        "--tee.dev-root-dir",
        devRootDir,
        "--tee.image-id",
        IMAGE_ID,
      ]),
      { logFile: join(exec.dir, "daemon.log"), httpUrl: exec.http },
    );
    for (const v of verifiers) {
      v.proc = new DaemonProcess(
        "verify-node",
        startArgs(v, all, chain.rpcUrl, [
          "--batching.max-batch-age-ms",
          "500",
          "--batching.leader-timeout-ms",
          "4000",
          "--tee.enabled",
          "true",
          "--tee.dev-root-pem",
          devRootDir,
        ]),
        { logFile: join(v.dir, "daemon.log"), httpUrl: v.http },
      );
    }
    await Promise.all(all.map((n) => n.proc.start()));
  });

  afterAll(async () => {
    await Promise.all([exec, ...verifiers].map((n) => n?.proc?.kill("SIGTERM")));
    chain?.stop();
  });

  async function sendDirect(modelId: Hex, inputs: TensorMap): Promise<Hex> {
    const n = nonce++;
    const requesterKey = net.requesterKeys[0]!;
    const request = {
      requester: privateKeyToAddress(requesterKey),
      modelId,
      inputHash: hashEncodedTensors(encodeTensors(inputs)),
      mode: ProofMode.TEE,
      nonce: n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
    };
    const { requestId, signature } = signInferenceRequest(requesterKey, domain, request);
    const res = await fetch(new URL("/v1/infer", exec.http), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { proof: { mode: string; status: string } };
    expect(body.proof).toMatchObject({ mode: "TEE", status: "attached" });
    return requestId;
  }

  async function resultAt(v: DaemonNode, requestId: Hex): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(new URL(`/v1/results/${requestId}`, v.http), {
        signal: AbortSignal.timeout(2_000),
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async function atAll(requestId: Hex, status: string): Promise<boolean> {
    for (const v of verifiers) if ((await resultAt(v, requestId))?.["status"] !== status) return false;
    return true;
  }

  const addInputs = (x: number): TensorMap => ({
    A: { dtype: "float32", dims: [1, 3], data: new Float32Array([x, 1, 2]) },
    B: { dtype: "float32", dims: [1, 3], data: new Float32Array([1, 1, 1]) },
  });

  it("default: a TEE request settles through the quorum and the enclave key is registered on chain", async () => {
    const tee = (await (await fetch(new URL("/v1/tee", exec.http))).json()) as {
      enabled: boolean;
      enclave: Address;
      measurement: Hex;
    };
    expect(tee).toMatchObject({ enabled: true, provider: "dev", measurement: MEASUREMENT });

    const ids = [await sendDirect(TEE_MODEL_ID, addInputs(1)), await sendDirect(TEE_MODEL_ID, addInputs(2))];
    for (const id of ids) await waitFor(`${id} settled at every verifier`, () => atAll(id, "settled"));

    // Settled: the API's Merkle proof checks against the on-chain root.
    for (const id of ids) {
      const r = (await resultAt(verifiers[0]!, id))!;
      expect(r["mode"]).toBe("TEE");
      expect(
        await net.publicClient.readContract({
          address: net.deployment.inferenceHub,
          abi: inferenceHubAbi,
          functionName: "verifyResult",
          args: [
            BigInt(r["batchId"] as string),
            id,
            r["modelId"] as Hex,
            r["inputHash"] as Hex,
            r["outputHash"] as Hex,
            r["executor"] as Hex,
            r["proof"] as Hex[],
          ],
        }),
      ).toBe(true);
    }

    // The verifiers registered the enclave key with the quorum: enclave → (measurement, expiry).
    const enclaves = { address: net.deployment.enclaveRegistry, abi: enclaveRegistryAbi } as const;
    await waitFor("enclave key registered", async () =>
      net.publicClient.readContract({
        ...enclaves,
        functionName: "isEnclaveValid",
        args: [tee.enclave, MEASUREMENT],
      }),
    );
    const [measurement, expiresAt] = await net.publicClient.readContract({
      ...enclaves,
      functionName: "enclave",
      args: [tee.enclave],
    });
    expect(measurement).toBe(MEASUREMENT);
    const now = BigInt(Math.floor(Date.now() / 1000));
    expect(expiresAt > now + 2n * 3600n && expiresAt <= now + 3n * 3600n).toBe(true);
    const logs = await net.publicClient.getContractEvents({
      ...enclaves,
      eventName: "EnclaveRegistered",
      fromBlock: net.deployment.startBlock,
    });
    expect(logs).toHaveLength(1);
    expect(net.verifierKeys.map((k) => privateKeyToAddress(k))).toContain(logs[0]!.args.submitter);

    // Each result's enclave signature checks on chain against the registration and the model.
    const settled = (await resultAt(verifiers[1]!, ids[1]!))!;
    const proof = decodeTeeProof(hexToBytes(settled["resultProof"] as Hex));
    if (proof.binding !== "enclave-key") throw new Error("expected the enclave-key binding");
    const fields = [
      settled["requestId"] as Hex,
      settled["inputHash"] as Hex,
      settled["outputHash"] as Hex,
      settled["executor"] as Hex,
    ] as const;
    const listing = (modelId: Hex) => listingIdOf(modelId, net.deployment.deployer);
    expect(
      await net.publicClient.readContract({
        ...enclaves,
        functionName: "checkEnclaveResult",
        args: [listing(TEE_MODEL_ID), ...fields, proof.signature],
      }),
    ).toEqual([true, tee.enclave]);
    expect(
      (
        await net.publicClient.readContract({
          ...enclaves,
          functionName: "checkEnclaveResult",
          args: [listing(OTHER_MODEL_ID), ...fields, proof.signature],
        })
      )[0],
    ).toBe(false);
  });

  it("error: a result from an enclave whose measurement the model does not allow is rejected (PCR_MISMATCH)", async () => {
    const id = await sendDirect(OTHER_MODEL_ID, {
      X: { dtype: "float32", dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
    });
    await waitFor(`${id} rejected at every verifier`, () => atAll(id, "rejected"));
    for (const v of verifiers) {
      expect(await resultAt(v, id)).toMatchObject({
        status: "rejected",
        reason: { code: "BAD_PROOF", cause: "PCR_MISMATCH" },
      });
    }
    // Nothing of it reaches the chain: no batch holds more than the TEE model's two results.
    const batches = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    expect(batches.reduce((n, l) => n + Number(l.args.count), 0)).toBe(2);
  });
});
