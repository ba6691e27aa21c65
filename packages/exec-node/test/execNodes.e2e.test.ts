import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { listingIdOf, modeMask } from "@opg/contracts";
import { createLogger, loadConfig } from "@opg/daemon";
import { P2PNode } from "@opg/p2p";
import {
  decodeResultMessage,
  decodeTensors,
  encodeTensors,
  executionResultDigest,
  hashEncodedTensors,
  inferenceRequestDigest,
  inferRequestBody,
  modelIdFromBytes,
  ProofMode,
  type ResultMessage,
  recoverDigestSigner,
  signInferenceRequest,
  tensorsToJson,
} from "@opg/protocol";
import { CEREMONIES_DIR } from "@opg/runtime";
import { addModel, deployLocalNetwork, HardhatNode, type LocalNetwork, prepareNodeDir } from "@opg/testkit";
import { CEREMONY_FILES, ceremonyZkeyPath } from "@opg/zk";
import { bytesToHex } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execNodeConfig } from "../src/config.js";
import { ExecNode } from "../src/ExecNode.js";

const MODEL = addModel();
const MODEL_ID = modelIdFromBytes(MODEL);

function inputsFor(n: number) {
  return {
    A: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([n, n + 1, n + 2]) },
    B: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([1, 1, 1]) },
  };
}

describe("opg-exec: two executors on a real chain, results gossiped over libp2p", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  const execs: ExecNode[] = [];
  const dataDirs: string[] = [];
  let listener: P2PNode;
  const received: ResultMessage[] = [];
  const logger = createLogger({ level: "silent" });

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 1,
      executors: 2,
      f: 0,
      models: [{ modelId: MODEL_ID, metadataURI: "test://add", modes: modeMask(ProofMode.NONE), price: 0n }],
    });
    for (const [i, key] of net.executorKeys.entries()) {
      const dir = mkdtempSync(join(tmpdir(), `opg-exec-${i}-`));
      dataDirs.push(dir);
      await prepareNodeDir(dir, key, net.deployment);
      const config = loadConfig(execNodeConfig, {
        env: {},
        flags: {
          dataDir: dir,
          "keystore.passwordFile": "password",
          "http.port": 0,
          "chain.rpcUrl": chain.rpcUrl,
          "chain.pollIntervalMs": 100,
          "p2p.heartbeatMs": 100,
          "p2p.bootstrap": execs.map((e) => e.runtime.p2p.multiaddrs[0]!.toString()),
        },
      }).config;
      const node = await ExecNode.create(config, { logger });
      await node.engine.store.open();
      await node.engine.addModel(MODEL, { name: "add" });
      await node.start();
      execs.push(node);
    }
    listener = new P2PNode(
      {
        chainId: net.deployment.chainId,
        peerKeyPath: join(mkdtempSync(join(tmpdir(), "opg-listener-")), "peer.key"),
        listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
        bootstrapPeers: execs.map((e) => e.runtime.p2p.multiaddrs[0]!.toString()),
        gossip: { heartbeatIntervalMs: 100 },
      },
      {},
    );
    listener.subscribe(listener.topics.results, decodeResultMessage, (m) => {
      received.push(m);
    });
    await listener.start();
    for (const e of execs)
      await e.runtime.p2p.waitForTopicPeers(listener.topics.results, 1, AbortSignal.timeout(20_000));
  });

  afterAll(async () => {
    await listener?.stop();
    for (const e of execs) await e.stop();
    chain?.stop();
  });

  async function waitFor(requestId: string, count = 1): Promise<ResultMessage[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = received.filter((m) => m.requestId === requestId);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`no gossiped result for ${requestId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  function checkSigned(m: ResultMessage) {
    expect(hashEncodedTensors(m.outputs)).toBe(m.outputHash);
    expect(recoverDigestSigner(executionResultDigest(execs[0]!.runtime.domain, m), m.signature)).toBe(
      m.executor,
    );
    expect(net.executorKeys.map((k) => privateKeyToAddress(k))).toContain(m.executor);
  }

  it("default: a direct request is executed, answered and gossiped, signed and hashed", async () => {
    const domain = execs[0]!.runtime.domain;
    const inputs = inputsFor(1);
    const request = {
      requester: privateKeyToAddress(net.requesterKeys[0]!),
      modelId: MODEL_ID,
      inputHash: hashEncodedTensors(encodeTensors(inputs)),
      mode: ProofMode.NONE,
      nonce: 7n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
    };
    const { requestId, signature } = signInferenceRequest(net.requesterKeys[0]!, domain, request);
    const res = await fetch(new URL("/v1/infer", execs[0]!.runtime.http.url()), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body["requestId"]).toBe(requestId);
    expect(body["outputs"]).toEqual({ C: { dtype: "float32", dims: [1, 3], data: [2, 3, 4] } });

    const [m] = await waitFor(requestId);
    checkSigned(m!);
    expect(m!.outputHash).toBe(body["outputHash"]);
    expect(m!.origin).toMatchObject({ type: "direct", nonce: 7n });
    expect(inferenceRequestDigest(domain, request)).toBe(m!.requestId);

    // Asked again: the same signed result, never a second one.
    const again = await fetch(new URL("/v1/infer", execs[0]!.runtime.http.url()), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
    });
    expect(((await again.json()) as Record<string, unknown>)["signature"]).toBe(body["signature"]);
  });

  it("default: an on-chain request is served by both executors", async () => {
    const client = createChainClient({ rpcUrl: chain.rpcUrl, chainId: net.deployment.chainId });
    const sender = new TxSender({}, { client, account: privateKeyToAccount(net.requesterKeys[1]!) });
    sender.start();
    const contracts = new OpgContracts(net.deployment, { client, sender });
    const input = encodeTensors(inputsFor(10));
    const { requestId } = await contracts.hub.requestInference({
      listingId: listingIdOf(MODEL_ID, net.deployment.deployer),
      input: bytesToHex(input),
      mode: ProofMode.NONE,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
    });
    sender.stop();
    const results = await waitFor(requestId, 2);
    expect(new Set(results.map((m) => m.executor)).size).toBe(2);
    for (const m of results) {
      checkSigned(m);
      expect(m.origin).toEqual({ type: "onchain" });
      expect(Array.from(decodeTensors(m.outputs)["C"]!.data as Float32Array)).toEqual([11, 12, 13]);
    }
    // The on-chain intake's watcher reports through the daemon's /metrics.
    const watched = /^opg_chain_watcher_logs_total\{[^}]*watcher="inference-requested"[^}]*\} (\d+)$/m;
    const deadline = Date.now() + 10_000;
    let text = "";
    while (Date.now() < deadline) {
      text = await (await fetch(new URL("/metrics", execs[0]!.runtime.http.url()))).text();
      if (Number(watched.exec(text)?.[1] ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Number(watched.exec(text)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^opg_chain_watcher_processed_block\{[^}]*watcher="inference-requested"/m);
  });

  it("behavior: the executor serves the ceremonies its operator started (transcript as stored, zkeys by sha256)", async () => {
    const listing = `0x${"cd".repeat(32)}`;
    const zkey = new Uint8Array([1, 2, 3, 4]);
    const sha = createHash("sha256").update(zkey).digest("hex");
    const dir = join(dataDirs[0]!, CEREMONIES_DIR, listing);
    mkdirSync(join(dir, "zkeys"), { recursive: true });
    const transcript = JSON.stringify({
      version: 1,
      listingId: listing,
      initialZkeySha256: sha,
      contributions: [],
    });
    writeFileSync(join(dir, CEREMONY_FILES.transcript), transcript);
    writeFileSync(ceremonyZkeyPath(dir, sha), zkey);
    const base = execs[0]!.runtime.http.url();
    const t = await fetch(new URL(`/v1/zk/ceremony/${listing}`, base));
    expect(t.status).toBe(200);
    expect(await t.text()).toBe(transcript);
    const z = await fetch(new URL(`/v1/zk/ceremony/${listing}/zkey/${sha}`, base));
    expect(new Uint8Array(await z.arrayBuffer())).toEqual(zkey);
    // Only what the transcript names, and no announcements: those go to verifiers.
    const other = await fetch(new URL(`/v1/zk/ceremony/${listing}/zkey/${"0".repeat(64)}`, base));
    expect(other.status).toBe(404);
    const post = await fetch(new URL("/v1/zk/ceremony/announcements", base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(post.status).toBe(404);
  });

  it("error: bad requests get clear errors and the daemon keeps serving", async () => {
    const url = new URL("/v1/infer", execs[1]!.runtime.http.url());
    const post = (body: string) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);
    const missing = await post(JSON.stringify({ request: {} }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");

    const domain = execs[1]!.runtime.domain;
    const base = {
      requester: privateKeyToAddress(net.requesterKeys[0]!),
      modelId: MODEL_ID,
      mode: ProofMode.NONE,
      nonce: 99n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
    };
    const signed = (inputs: ReturnType<typeof inputsFor>, overrides: Partial<typeof base> = {}) => {
      const req = { ...base, inputHash: hashEncodedTensors(encodeTensors(inputs)), ...overrides };
      const { signature } = signInferenceRequest(net.requesterKeys[0]!, domain, req);
      const { request } = inferRequestBody(req, signature, {});
      return { request, signature };
    };
    const good = signed(inputsFor(3));
    // Signature over other inputs: refused.
    const forged = await post(
      JSON.stringify({
        ...good,
        inputs: tensorsToJson(inputsFor(4)),
        request: { ...good.request, inputHash: undefined },
      }),
    );
    expect(forged.status).toBe(401);
    // Properly signed, but the wrong shape for the model: refused before the runtime.
    const wrongShape = {
      A: { dtype: "float32" as const, dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
      B: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([1, 1, 1]) },
    };
    const shape = await post(
      JSON.stringify({ ...signed(wrongShape as never), inputs: tensorsToJson(wrongShape) }),
    );
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as { error: { code: string } }).error.code).toBe("DIM_MISMATCH");
    // Unknown model.
    const unknown = signed(inputsFor(5), { modelId: `0x${"ab".repeat(32)}` });
    const notServed = await post(JSON.stringify({ ...unknown, inputs: tensorsToJson(inputsFor(5)) }));
    expect(notServed.status).toBe(400);
    expect(((await notServed.json()) as { error: { code: string } }).error.code).toBe("MODEL_NOT_SERVED");
    // Oversized tensor declared in JSON.
    const huge = await post(
      JSON.stringify({ ...good, inputs: { A: { dtype: "float32", dims: [1 << 20, 1 << 10], data: [] } } }),
    );
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("BAD_INPUTS");
    // Inputs other than those the signed request commits to.
    const mismatch = await post(JSON.stringify({ ...good, inputs: tensorsToJson(inputsFor(4)) }));
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: { code: string } }).error.code).toBe("INPUT_HASH_MISMATCH");
    // A result this executor never produced.
    const none = await fetch(new URL(`/v1/results/0x${"00".repeat(32)}`, execs[1]!.runtime.http.url()));
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("UNKNOWN_REQUEST");
    // Still serving.
    const ok = await post(JSON.stringify({ ...good, inputs: tensorsToJson(inputsFor(3)) }));
    expect(ok.status).toBe(200);
    const health = await fetch(new URL("/health", execs[1]!.runtime.http.url()));
    expect(health.status).toBe(200);
  });
});
