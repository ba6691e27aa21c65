import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { inferenceHubAbi } from "@opg/contracts";
import { createLogger } from "@opg/daemon";
import { loadOrCreatePeerKey, P2PNode } from "@opg/p2p";
import { ProofMode } from "@opg/protocol";
import {
  deployLocalNetwork,
  devPrivateKey,
  freePort,
  HardhatNode,
  type LocalNetwork,
  waitFor,
} from "@opg/testkit";
import { keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierCore } from "../src/VerifierCore.js";
import { p2pVerifier } from "./helpers/p2pVerifier.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/network-model"));
const VERIFIERS = 10;
const EXECUTORS = 10;
const REQUESTS = 300;
/** Lean settings for 20 nodes in one process on a small machine. */
const gossip = { D: 3, Dlo: 2, Dhi: 5, Dscore: 2, Dout: 1, Dlazy: 3, heartbeatIntervalMs: 200 };

describe("a network of 10 verifiers and 10 executors on loopback", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  const cores: VerifierCore[] = [];
  const nodes: P2PNode[] = [];
  const executors: P2PNode[] = [];
  const dir = mkdtempSync(join(tmpdir(), "opg-network-"));

  beforeAll(async () => {
    chain = await HardhatNode.start();
    // Hardhat funds 20 dev accounts; 1 deployer + 10 verifiers + 10 executors need 21.
    await fetch(chain.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "hardhat_setBalance",
        params: [privateKeyToAddress(devPrivateKey(20)), toHex(10n ** 22n)],
      }),
    });
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: VERIFIERS,
      executors: EXECUTORS,
      f: 3,
      models: [{ modelId: MODEL, metadataURI: "test", modes: 1 << ProofMode.NONE, price: 0n }],
    });
    const logger = createLogger({ level: process.env["OPG_DEBUG_NETWORK"] ? "warn" : "silent" });
    const { deployment } = net;
    // As in a deployment (`p2p.peers`): each verifier keeps the next two verifiers as static peers
    // (redialled if a connection drops on this loaded machine), each executor two verifiers; every
    // node knows the others' ids, so none is charged for sharing 127.0.0.1.
    const ids: string[] = [];
    const addrs: string[] = [];
    for (const name of [
      ...net.verifierKeys.map((_, i) => `v${i}`),
      ...net.executorKeys.map((_, j) => `e${j}`),
    ]) {
      const { privateKey } = await loadOrCreatePeerKey(join(dir, `${name}.key`));
      const id = peerIdFromPrivateKey(privateKey).toString();
      ids.push(id);
      addrs.push(`/ip4/127.0.0.1/tcp/${await freePort()}/p2p/${id}`);
    }
    const listen = (addr: string) => [addr.slice(0, addr.indexOf("/p2p/"))];
    for (const [i, key] of net.verifierKeys.entries()) {
      const node = new P2PNode(
        {
          chainId: deployment.chainId,
          peerKeyPath: join(dir, `v${i}.key`),
          listenAddresses: listen(addrs[i]!),
          staticPeers: [addrs[(i + 1) % VERIFIERS]!, addrs[(i + 2) % VERIFIERS]!],
          reconnectMinBackoffMs: 200,
          reconnectMaxBackoffMs: 2_000,
          exemptPeers: ids,
          gossip,
        },
        { logger },
      );
      const core = await p2pVerifier({
        net,
        key,
        node,
        dbPath: join(dir, `v${i}.sqlite`),
        batching: { maxBatchSize: 100, maxBatchAgeMs: 1_000, tickMs: 1_000, leaderTimeoutMs: 15_000 },
        logger,
      });
      await node.start();
      nodes.push(node);
      cores.push(core);
    }
    for (let j = 0; j < EXECUTORS; j++) {
      const node = new P2PNode(
        {
          chainId: deployment.chainId,
          peerKeyPath: join(dir, `e${j}.key`),
          listenAddresses: listen(addrs[VERIFIERS + j]!),
          staticPeers: [addrs[j % VERIFIERS]!, addrs[(j + 5) % VERIFIERS]!],
          reconnectMinBackoffMs: 200,
          reconnectMaxBackoffMs: 2_000,
          exemptPeers: ids,
          gossip,
        },
        { logger },
      );
      await node.start();
      executors.push(node);
    }
    await Promise.all([
      ...nodes.flatMap((n) => [
        n.waitForTopicPeers(n.topics.results, 2),
        n.waitForTopicPeers(n.topics.batchSignatures, 2),
      ]),
      ...executors.map((e) => e.waitForTopicPeers(e.topics.results, 2)),
    ]);
    for (const c of cores) c.start();
  }, 300_000);

  afterAll(async () => {
    for (const c of cores) await c.stop();
    for (const n of [...executors, ...nodes]) await n.stop();
    chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("default: a few hundred requests from 10 executors settle exactly once, and every verifier holds them all", {
    timeout: 420_000,
  }, async () => {
    const domain = cores[0]!.domain;
    const sent = Array.from({ length: REQUESTS }, (_, i) =>
      signedResult({
        domain,
        requesterKey: net.requesterKeys[i % net.requesterKeys.length]!,
        executorKey: net.executorKeys[i % EXECUTORS]!,
        modelId: MODEL,
        nonce: BigInt(i),
      }),
    );
    for (const [i, r] of sent.entries())
      await executors[i % EXECUTORS]!.publish(executors[0]!.topics.results, r.bytes);

    const settledLogs = () =>
      net.publicClient.getContractEvents({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        eventName: "BatchSettled",
        fromBlock: net.deployment.startBlock,
      });
    let logs: Awaited<ReturnType<typeof settledLogs>> = [];
    await waitFor(
      "every request settled on chain",
      async () => {
        logs = await settledLogs();
        return logs.reduce((n, l) => n + Number(l.args.count), 0) >= REQUESTS;
      },
      {
        timeoutMs: 200_000,
        state: () =>
          cores
            .map((c, i) => {
              const n = c.store.counts();
              return `v${i}: ${n.results} results, ${n.settled} settled, last batch ${c.store.lastSettledBatchId()}, ${nodes[i]!.peers().length} peers`;
            })
            .join("; "),
      },
    );
    // Exactly once: the settled counts add up to the requests, and no request is in two batches
    // (membership from the verifiers that saw each batch's proposal).
    expect(logs.reduce((n, l) => n + Number(l.args.count), 0)).toBe(REQUESTS);
    const requestOf = new Map<string, string>();
    for (const c of cores)
      for (const r of sent) {
        for (const s of c.store.resultsForRequest(r.message.requestId))
          requestOf.set(s.resultHash, s.requestId);
      }
    const members = logs.flatMap((l) => {
      const holder = cores.find((c) => c.store.getBatch(l.args.batchId!)?.resultHashes.length);
      return holder!.store.getBatch(l.args.batchId!)!.resultHashes;
    });
    expect(members).toHaveLength(REQUESTS);
    expect(new Set(members.map((h) => requestOf.get(h))).size).toBe(REQUESTS);
    // Every verifier holds every result: a verifier relays what it accepts however long its
    // validation took (it once did not past gossipsub's message cache, and under load whole
    // executors' results never reached some verifiers; these test executors never republish).
    await waitFor(
      "every verifier holds every result",
      () => cores.every((c) => c.store.counts().results === REQUESTS),
      {
        timeoutMs: 30_000,
        state: () => cores.map((c, i) => `v${i}: ${c.store.counts().results}`).join(", "),
      },
    );
  });
});
