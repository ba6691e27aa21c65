import { OpgContracts, TxSender } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { ProofMode } from "@opg/protocol";
import { deployLocalNetwork, HardhatNode, type LocalNetwork } from "@opg/testkit";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierCore } from "../src/VerifierCore.js";
import { localVerifiers } from "./helpers/localVerifiers.js";

const MODEL = keccak256(toHex("opg/request-watcher/model"));
let chain: HardhatNode;
let net: LocalNetwork;
let sender: TxSender;
let contracts: OpgContracts;
let listingId: Hex;

beforeAll(async () => {
  chain = await HardhatNode.start();
  net = await deployLocalNetwork({
    rpcUrl: chain.rpcUrl,
    verifiers: 3,
    executors: 1,
    f: 1,
    models: [{ modelId: MODEL, metadataURI: "watcher", modes: modeMask(ProofMode.NONE), price: 0n }],
  });
  sender = new TxSender(
    { chainId: net.deployment.chainId, receiptPollIntervalMs: 20 },
    { client: net.publicClient, account: privateKeyToAccount(net.requesterKeys[0]!) },
  );
  sender.start();
  contracts = new OpgContracts(net.deployment, { client: net.publicClient, sender });
  listingId = (await contracts.models.latestListing(MODEL, net.deployment.deployer))!;
}, 120_000);

afterAll(async () => {
  sender?.stop();
  chain?.stop();
});

async function request(input: Hex): Promise<{ requestId: Hex; inputHash: Hex; block: bigint }> {
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const r = await contracts.hub.requestInference({ listingId, input, mode: ProofMode.NONE, deadline });
  return { requestId: r.requestId, inputHash: r.request.inputHash, block: r.tx.receipt.blockNumber };
}

/** Polls until the core's request watcher has processed `block` (a generous deadline, no timing). */
async function watched(core: VerifierCore, block: bigint): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((core.store.checkpoint("inference-requested") ?? -1n) < block) {
    if (Date.now() > deadline) throw new Error(`request watcher never reached block ${block}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the verifier's on-chain request cache", () => {
  it("behavior: is fed from the hub's InferenceRequested logs (requests before and after start): a result's request check reads nothing", async () => {
    const before = await request("0x01");
    const { cores } = localVerifiers(net, { maxBatchAgeMs: 3_600_000 });
    const core = cores[0]!;
    try {
      core.start();
      await watched(core, before.block);
      const after = await request("0x02");
      await watched(core, after.block);
      const reads = core.registry.reads;
      for (const { requestId, inputHash } of [before, after]) {
        expect(await core.registry.onchainRequest(requestId)).toEqual({
          modelId: MODEL,
          listingId,
          inputHash,
          mode: ProofMode.NONE,
        });
      }
      expect(core.registry.reads).toBe(reads);
      // A request the logs have not shown is still read once (then cached for the miss interval).
      expect(await core.registry.onchainRequest(keccak256(toHex("no such request")))).toBeUndefined();
      expect(core.registry.reads).toBe(reads + 1);
    } finally {
      for (const c of cores) await c.stop();
    }
  }, 120_000);
});
