import { inferenceHubAbi, OperatorRole, operatorRegistryAbi, signSignerBinding } from "@opg/contracts";
import { ProofMode } from "@opg/protocol";
import { deployLocalNetwork, HardhatNode, type LocalNetwork, waitFor } from "@opg/testkit";
import { createWalletClient, http, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierCore } from "../src/VerifierCore.js";
import { localVerifiers } from "./helpers/localVerifiers.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/rotation-model"));

describe("settlement across a verifier key rotation (real chain, real contracts)", () => {
  let node: HardhatNode;
  let net: LocalNetwork;
  let cores: VerifierCore[];
  let gossip = false;

  beforeAll(async () => {
    node = await HardhatNode.start();
    net = await deployLocalNetwork({
      rpcUrl: node.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [{ modelId: MODEL, metadataURI: "test", modes: 1 << ProofMode.NONE, price: 0n }],
    });
    const local = localVerifiers(
      net,
      { maxBatchSize: 8, maxBatchAgeMs: 200, tickMs: 50, leaderTimeoutMs: 2_000, regossipMs: 300 },
      () => gossip,
    );
    cores = local.cores;
    for (const c of cores) c.start();
    const domain = cores[0]!.domain;
    const sent = Array.from({ length: 4 }, (_, i) =>
      signedResult({
        domain,
        requesterKey: net.requesterKeys[0]!,
        executorKey: net.executorKeys[0]!,
        modelId: MODEL,
        nonce: BigInt(i),
      }),
    );
    for (const r of sent) await local.deliverResult(r.bytes);
  });

  afterAll(async () => {
    for (const c of cores ?? []) await c.stop();
    node?.stop();
  });

  it("behavior: one verifier rotates its key while a batch is signed and unsettled; the batch settles", async () => {
    // Gossip is held: the leader signs its proposal, nobody else hears of it, nothing settles.
    await waitFor("a batch signed by its leader", () =>
      cores.some((c) => c.store.unsettledBatches().length > 0),
    );
    const [digestBefore] = await net.publicClient.readContract({
      address: net.deployment.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "verifierConfig",
    });
    expect(await hubLastBatchId()).toBe(0n);

    // Verifier 2's operator rotates its signing key: the set (and its digest) changes under the batch.
    const ownerKey = net.verifierKeys[2]!;
    const newKey = generatePrivateKey();
    const newSigner = privateKeyToAccount(newKey);
    const binding = await signSignerBinding(newSigner, {
      chainId: net.deployment.chainId,
      operatorRegistry: net.deployment.operatorRegistry,
      operator: privateKeyToAccount(ownerKey).address,
      role: OperatorRole.VERIFIER,
    });
    const owner = createWalletClient({
      account: privateKeyToAccount(ownerKey),
      chain: hardhat,
      transport: http(node.rpcUrl),
    });
    const hash = await owner.writeContract({
      address: net.deployment.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "rotateSigner",
      args: [newSigner.address, binding],
    });
    expect((await net.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    const [digestAfter] = await net.publicClient.readContract({
      address: net.deployment.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "verifierConfig",
    });
    expect(digestAfter).not.toBe(digestBefore);

    // Gossip resumes: the two remaining members re-sign under the new digest and settle, exactly once.
    gossip = true;
    await waitFor("batch settled on chain", async () => (await hubLastBatchId()) > 0n);
    const logs = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.args.configDigest).toBe(digestAfter);
    expect(logs[0]!.args.count).toBe(4);
    await waitFor("every verifier saw the settlement", () =>
      cores.every((c) => c.store.counts().settled === 4),
    );
  });

  function hubLastBatchId(): Promise<bigint> {
    return net.publicClient.readContract({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      functionName: "lastBatchId",
    });
  }
});
