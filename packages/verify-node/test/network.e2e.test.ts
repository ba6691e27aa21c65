import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { inferenceHubAbi, modeMask } from "@opg/contracts";
import { loadOrCreatePeerKey } from "@opg/p2p";
import {
  encodeTensors,
  hashEncodedTensors,
  modelIdFromBytes,
  type OpgDomain,
  ProofMode,
  signInferenceRequest,
  tensorsToJson,
} from "@opg/protocol";
import {
  addModel,
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  freePort,
  HardhatNode,
  type LocalNetwork,
  prepareNodeDir,
  TcpProxy,
} from "@opg/testkit";
import { type Hex, keccak256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The whole verification path with real processes: a hardhat node behind a TCP proxy (so the
 * RPC can go away), the contracts, 2 opg-exec and 3 opg-verify daemons (f = 1) on libp2p.
 */

const MODEL = addModel();
const MODEL_ID = modelIdFromBytes(MODEL);

type Node = { proc: DaemonProcess; http: string; dir: string; p2p: string };

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("opg-verify network: 3 verifiers (f = 1), 2 executors, real chain and libp2p", () => {
  let chain: HardhatNode;
  let proxy: TcpProxy;
  let net: LocalNetwork;
  let domain: OpgDomain;
  const execs: Node[] = [];
  const verifiers: Node[] = [];
  const sent: Hex[] = [];
  let nonce = 0n;
  const root = mkdtempSync(join(tmpdir(), "opg-network-"));

  async function prepare(kind: "exec-node" | "verify-node", i: number, key: Hex): Promise<Node> {
    const dir = join(root, `${kind}-${i}`);
    await prepareNodeDir(dir, key, net.deployment);
    const { privateKey } = await loadOrCreatePeerKey(join(dir, "peer.key"));
    const peerId = peerIdFromPrivateKey(privateKey);
    const port = await freePort();
    const httpPort = await freePort();
    return {
      dir,
      http: `http://127.0.0.1:${httpPort}`,
      p2p: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId.toString()}`,
      proc: undefined as unknown as DaemonProcess,
    };
  }

  function spawnArgs(node: Node, peers: Node[], extra: string[]): string[] {
    const port = node.p2p.split("/")[4]!;
    return [
      "--data-dir",
      node.dir,
      "start",
      "--keystore.password-file",
      "password",
      "--http.port",
      new URL(node.http).port,
      "--chain.rpc-url",
      proxy.url,
      "--chain.poll-interval-ms",
      "200",
      "--p2p.listen",
      `/ip4/127.0.0.1/tcp/${port}`,
      "--p2p.peers",
      ...peers.filter((p) => p !== node).map((p) => p.p2p),
      "--p2p.heartbeat-ms",
      "200",
      "--log.format",
      "json",
      ...extra,
    ];
  }

  beforeAll(async () => {
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    proxy = new TcpProxy({ host: "127.0.0.1", port: chain.port });
    await proxy.up();
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 2,
      f: 1,
      models: [{ modelId: MODEL_ID, metadataURI: "test://add", modes: modeMask(ProofMode.NONE), price: 0n }],
    });
    domain = { chainId: net.deployment.chainId, verifyingContract: net.deployment.inferenceHub };
    for (const [i, key] of net.executorKeys.entries()) execs.push(await prepare("exec-node", i, key));
    for (const [i, key] of net.verifierKeys.entries()) verifiers.push(await prepare("verify-node", i, key));
    const all = [...execs, ...verifiers];
    for (const e of execs) {
      // Through the real CLI: `opg-exec models add`.
      writeFileSync(join(e.dir, "add.onnx"), MODEL);
      execFileSync(process.execPath, [
        daemonCliPath("exec-node"),
        "--data-dir",
        e.dir,
        "models",
        "add",
        join(e.dir, "add.onnx"),
      ]);
      e.proc = new DaemonProcess("exec-node", spawnArgs(e, all, ["--republish-interval-ms", "3000"]), {
        logFile: join(e.dir, "daemon.log"),
        httpUrl: e.http,
      });
    }
    for (const v of verifiers) {
      v.proc = new DaemonProcess(
        "verify-node",
        spawnArgs(v, all, [
          "--batching.max-batch-age-ms",
          "500",
          "--batching.leader-timeout-ms",
          "4000",
          "--batching.max-batch-size",
          "8",
        ]),
        { logFile: join(v.dir, "daemon.log"), httpUrl: v.http },
      );
    }
    await Promise.all(all.map((n) => n.proc.start()));
  });

  afterAll(async () => {
    await Promise.all([...execs, ...verifiers].map((n) => n.proc?.kill("SIGTERM")));
    await proxy?.down();
    chain?.stop();
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
      body: JSON.stringify({
        request: { ...request, nonce: n.toString(), deadline: request.deadline.toString() },
        signature,
        inputs: tensorsToJson(inputs),
      }),
    });
    expect(res.status).toBe(200);
    sent.push(requestId);
    return requestId;
  }

  async function resultAt(v: Node, requestId: Hex): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(new URL(`/v1/results/${requestId}`, v.http), {
        signal: AbortSignal.timeout(2_000),
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async function allSettled(nodes: Node[]): Promise<boolean> {
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
    await until("all settled at every verifier", () => allSettled(verifiers));
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

    await until("all settled at every verifier", () => allSettled(verifiers), 180_000);
    await checkExactlyOnce();
  });
});
