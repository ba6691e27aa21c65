import { inferenceHubAbi } from "@opg/contracts";
import { decodeResultMessage, ProofMode } from "@opg/protocol";
import { deployLocalNetwork, HardhatNode, type LocalNetwork, waitFor } from "@opg/testkit";
import { type Hex, keccak256, parseEventLogs, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierCore } from "../src/VerifierCore.js";
import { localVerifiers } from "./helpers/localVerifiers.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/model"));

describe("batch agreement and settlement on a real chain", () => {
  let node: HardhatNode;
  let net: LocalNetwork;
  let cores: VerifierCore[];
  let deliver: (bytes: Uint8Array) => Promise<void>;

  beforeAll(async () => {
    node = await HardhatNode.start();
    net = await deployLocalNetwork({
      rpcUrl: node.rpcUrl,
      verifiers: 3,
      executors: 2,
      f: 1,
      models: [{ modelId: MODEL, metadataURI: "test", modes: 1 << ProofMode.NONE, price: 0n }],
    });
    const local = localVerifiers(net, {
      maxBatchSize: 8,
      maxBatchAgeMs: 300,
      tickMs: 50,
      leaderTimeoutMs: 3_000,
    });
    cores = local.cores;
    deliver = local.deliverResult;
    for (const c of cores) c.start();
  }, 120_000); // a chain and a deployment: slow on a loaded machine

  afterAll(async () => {
    for (const c of cores ?? []) await c.stop();
    node?.stop();
  });

  it("default: every result settles exactly once and each proof checks against the on-chain root", async () => {
    const domain = cores[0]!.domain;
    const sent = Array.from({ length: 20 }, (_, i) =>
      signedResult({
        domain,
        requesterKey: net.requesterKeys[i % 2]!,
        executorKey: net.executorKeys[i % 2]!,
        modelId: MODEL,
        nonce: BigInt(i),
      }),
    );
    for (const r of sent) await deliver(r.bytes);

    await waitFor("all results settled at every verifier", () =>
      cores.every((c) => sent.every((r) => c.store.isRequestSettled(r.message.requestId))),
    );

    // Exactly once: every request appears in exactly one BatchSettled batch.
    const logs = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    const total = logs.reduce((n, l) => n + Number(l.args.count), 0);
    expect(total).toBe(sent.length);

    for (const r of sent) {
      const [stored] = cores[1]!.store
        .resultsForRequest(r.message.requestId)
        .filter((s) => s.status === "settled");
      expect(stored).toBeDefined();
      const batch = cores[1]!.store.getBatch(stored!.batchId!)!;
      const { ResultBatchTree } = await import("@opg/protocol");
      const members = batch.resultHashes.map((h) => cores[1]!.store.getResult(h)!);
      const proof = ResultBatchTree.of(members).proof(r.message.requestId);
      const m = decodeResultMessage(stored!.message);
      const ok = await net.publicClient.readContract({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        functionName: "verifyResult",
        args: [batch.batchId, m.requestId, m.modelId, m.inputHash, m.outputHash, m.executor, proof as Hex[]],
      });
      expect(ok).toBe(true);
    }
  }, 60_000);

  it("error: an equivocating executor is refused and slashed on chain", async () => {
    const domain = cores[0]!.domain;
    const common = {
      domain,
      requesterKey: net.requesterKeys[2]!,
      executorKey: net.executorKeys[0]!,
      modelId: MODEL,
      nonce: 1000n,
    };
    const first = signedResult({ ...common, value: 1 });
    const second = signedResult({ ...common, value: 2 });
    await deliver(first.bytes);
    await deliver(second.bytes);
    await waitFor("slashing event", async () => {
      const logs = await net.publicClient.getContractEvents({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        eventName: "ExecutorEquivocationProven",
        fromBlock: net.deployment.startBlock,
      });
      return logs.length === 1;
    });
    expect(cores[0]!.store.rejectionsForRequest(first.message.requestId).map((r) => r.code)).toContain(
      "EQUIVOCATION",
    );
    void parseEventLogs;
  });
});
