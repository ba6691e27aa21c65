import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { inferenceHubAbi } from "@opg/contracts";
import { createLogger } from "@opg/daemon";
import { loadOrCreatePeerKey, P2PNode } from "@opg/p2p";
import { ProofMode } from "@opg/protocol";
import { deployLocalNetwork, freePort, HardhatNode, type LocalNetwork, waitFor } from "@opg/testkit";
import { isAddressEqual, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierCore } from "../src/VerifierCore.js";
import { p2pVerifier } from "./helpers/p2pVerifier.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/missing-results"));

/**
 * Three verifiers (f = 1) wired as the daemon wires them, plus an outside peer that answers every
 * result request with junk. Results reach one verifier only, never through gossip (as when its
 * neighbours ignore an executor's republished copy as a duplicate): the others must fetch what
 * the leader's proposal lists, check it, and sign, or the batch can never reach f + 1 signatures.
 */
describe("results a proposal lists but gossip never brought", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  const cores: VerifierCore[] = [];
  const nodes: P2PNode[] = [];
  let liar: P2PNode;
  const dir = mkdtempSync(join(tmpdir(), "opg-missing-"));

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [{ modelId: MODEL, metadataURI: "test", modes: 1 << ProofMode.NONE, price: 0n }],
    });
    const logger = createLogger({ level: process.env["OPG_DEBUG_MISSING"] ? "debug" : "silent" });
    const { deployment } = net;
    const ids: string[] = [];
    const addrs: string[] = [];
    for (const name of ["v0", "v1", "v2", "liar"]) {
      const { privateKey } = await loadOrCreatePeerKey(join(dir, `${name}.key`));
      const id = peerIdFromPrivateKey(privateKey).toString();
      ids.push(id);
      addrs.push(`/ip4/127.0.0.1/tcp/${await freePort()}/p2p/${id}`);
    }
    const listen = (addr: string) => [addr.slice(0, addr.indexOf("/p2p/"))];
    const gossip = { heartbeatIntervalMs: 200 };
    liar = new P2PNode(
      {
        chainId: deployment.chainId,
        peerKeyPath: join(dir, "liar.key"),
        listenAddresses: listen(addrs[3]!),
        exemptPeers: ids,
        gossip,
      },
      { logger },
    );
    await liar.serveResults(() => new Uint8Array(200).fill(7));
    await liar.start();
    for (const [i, key] of net.verifierKeys.entries()) {
      const node = new P2PNode(
        {
          chainId: deployment.chainId,
          peerKeyPath: join(dir, `v${i}.key`),
          listenAddresses: listen(addrs[i]!),
          staticPeers: [addrs[3]!, ...addrs.slice(0, 3).filter((_, j) => j !== i)],
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
        batching: { maxBatchSize: 16, maxBatchAgeMs: 300, tickMs: 100, leaderTimeoutMs: 3_000 },
        logger,
        fetchResults: true,
        pollIntervalMs: 100,
      });
      await node.start();
      nodes.push(node);
      cores.push(core);
    }
    await Promise.all(nodes.map((n) => n.waitForTopicPeers(n.topics.batchSignatures, 2)));
    await waitFor("every verifier connected to the outside peer", () =>
      nodes.every((n) => n.peers().some((p) => p.equals(liar.peerId))),
    );
    for (const c of cores) c.start();
  }, 180_000);

  afterAll(async () => {
    for (const c of cores) await c.stop();
    for (const n of [...nodes, liar]) await n?.stop();
    chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("behavior: followers fetch them by hash, skip a peer answering junk, sign, and the batch settles once", {
    timeout: 120_000,
  }, async () => {
    const sent = Array.from({ length: 5 }, (_, i) =>
      signedResult({
        domain: cores[0]!.domain,
        requesterKey: net.requesterKeys[0]!,
        executorKey: net.executorKeys[0]!,
        modelId: MODEL,
        nonce: BigInt(i),
        // Outputs over 1 KiB on one of them: the fetched message carries them whole.
        ...(i === 0 ? { outputLength: 600 } : {}),
      }),
    );
    // Verified and stored by v0 alone, as if from gossip that reached no one else.
    for (const r of sent) cores[0]!.intake.accept(await cores[0]!.intake.validate(r.bytes));
    expect(cores[1]!.store.counts().results).toBe(0);

    await waitFor(
      "every result settled at every verifier",
      () => cores.every((c) => sent.every((r) => c.store.isRequestSettled(r.message.requestId))),
      {
        timeoutMs: 60_000,
        state: () => cores.map((c, i) => `v${i}: ${JSON.stringify(c.store.counts())}`).join("; "),
      },
    );
    // Every verifier checked and holds each result (the outside peer's junk was refused).
    for (const c of cores) {
      expect(c.store.counts().results).toBe(sent.length);
      for (const r of sent) {
        const [held] = c.store.resultsForRequest(r.message.requestId);
        expect(held?.message).toEqual(r.bytes);
      }
    }
    // Settled exactly once, with follower signatures: the settled batch was signed by a verifier
    // that never received a result through gossip.
    const logs = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    expect(logs.reduce((n, l) => n + Number(l.args.count), 0)).toBe(sent.length);
    const settledIds = logs.map((l) => l.args.batchId!);
    const signedByFollower = [1, 2].some((i) => {
      const me = privateKeyToAccount(net.verifierKeys[i]!).address;
      return settledIds.some((id) => {
        const b = cores[i]!.store.getBatch(id);
        return (
          b !== undefined &&
          cores[i]!.store.signaturesFor(id, b.root, b.configDigest).some((s) =>
            isAddressEqual(s.verifier, me),
          )
        );
      });
    });
    expect(signedByFollower).toBe(true);
    expect(cores.some((c) => c.missing!.pending > 0)).toBe(false);
  });
});
