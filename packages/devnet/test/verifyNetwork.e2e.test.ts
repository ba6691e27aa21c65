import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inferenceHubAbi } from "@opg/contracts";
import {
  encodeTensors,
  hashEncodedTensors,
  inferRequestBody,
  modelIdFromBytes,
  type OpgDomain,
  ProofMode,
  signInferenceRequest,
  tensorsToJson,
} from "@opg/protocol";
import { addModel, type DaemonProcess, type LocalNetwork, type TcpProxy, waitFor } from "@opg/testkit";
import { type Hex, keccak256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Devnet } from "../src/Devnet.js";

/**
 * The whole verification path with real processes: a hardhat node behind a TCP proxy (so the
 * RPC can go away), the contracts, 2 opg-exec and 3 opg-verify daemons (f = 1) on libp2p.
 */

const MODEL = addModel();
const MODEL_ID = modelIdFromBytes(MODEL);

describe("opg-verify network: 3 verifiers (f = 1), 2 executors, real chain and libp2p", () => {
  let devnet: Devnet;
  let net: LocalNetwork;
  let domain: OpgDomain;
  let proxy: TcpProxy;
  let execs: { http: string }[] = [];
  let verifiers: { http: string; proc: DaemonProcess }[] = [];
  const sent: Hex[] = [];
  let nonce = 0n;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "opg-network-"));
    const modelFile = join(dir, "add.onnx");
    writeFileSync(modelFile, MODEL);
    // The devnet topology with automine and a TCP proxy in front of the chain (to cut the RPC).
    devnet = await Devnet.start({
      dir,
      ports: "free",
      rpcProxy: true,
      blockTimeMs: 0,
      models: [{ name: "add", file: modelFile, modes: [ProofMode.NONE] }],
      execFlags: ["--republish-interval-ms", "3000"],
      verifierFlags: ["--batching.leader-timeout-ms", "4000", "--batching.max-batch-size", "8"],
    });
    net = devnet.net;
    domain = devnet.domain;
    proxy = devnet.proxy!;
    execs = devnet.execs.map((n) => ({ http: n.httpUrl }));
    verifiers = devnet.verifiers.map((n) => ({ http: n.httpUrl, proc: n.proc }));
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  async function sendDirect(execIndex: number): Promise<Hex> {
    const n = nonce++;
    const inputs = {
      A: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([Number(n), 1, 2]) },
      B: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([1, 1, 1]) },
    };
    const requesterKey = net.requesterKeys[Number(n) % net.requesterKeys.length]!;
    const request = {
      requester: privateKeyToAddress(requesterKey),
      modelId: MODEL_ID,
      inputHash: hashEncodedTensors(encodeTensors(inputs)),
      mode: ProofMode.NONE,
      nonce: n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
    };
    const { requestId, signature } = signInferenceRequest(requesterKey, domain, request);
    const res = await fetch(new URL("/v1/infer", execs[execIndex]!.http), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
    });
    expect(res.status).toBe(200);
    sent.push(requestId);
    return requestId;
  }

  async function resultAt(v: { http: string }, requestId: Hex): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(new URL(`/v1/results/${requestId}`, v.http), {
        signal: AbortSignal.timeout(2_000),
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async function allSettled(nodes: { http: string }[]): Promise<boolean> {
    for (const v of nodes) {
      for (const id of sent) {
        const r = await resultAt(v, id);
        if (r?.["status"] !== "settled" || r["proof"] === null) return false;
      }
    }
    return true;
  }

  /** Every sent request is in exactly one settled batch, and its proof checks on chain. */
  async function checkExactlyOnce(): Promise<void> {
    const logs = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    expect(logs.reduce((n, l) => n + Number(l.args.count), 0)).toBe(sent.length);
    for (const id of sent) {
      const r = (await resultAt(verifiers[0]!, id))!;
      const ok = await net.publicClient.readContract({
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
      });
      expect(ok).toBe(true);
      expect(keccak256(r["outputs"] as Hex)).toBe(r["outputHash"]);
    }
  }

  it("default: every result settles exactly once and each API proof checks against the on-chain root", async () => {
    for (let i = 0; i < 10; i++) await sendDirect(i % 2);
    await waitFor("all settled at every verifier", () => allSettled(verifiers));
    await checkExactlyOnce();
  });

  it("behavior: a verifier killed -9 mid-batch and restarted, and a 30 s RPC outage, lose nothing", async () => {
    await sendDirect(0);
    await sendDirect(1);
    await verifiers[1]!.proc.kill("SIGKILL");
    for (let i = 0; i < 4; i++) await sendDirect(i % 2);
    await verifiers[1]!.proc.start();
    for (let i = 0; i < 4; i++) await sendDirect(i % 2);

    await proxy.down();
    for (let i = 0; i < 4; i++) await sendDirect(i % 2);
    await new Promise((r) => setTimeout(r, 30_000)); // the outage itself, not synchronisation
    await proxy.up();

    await waitFor("all settled at every verifier", () => allSettled(verifiers), { timeoutMs: 180_000 });
    await checkExactlyOnce();
  });
});
