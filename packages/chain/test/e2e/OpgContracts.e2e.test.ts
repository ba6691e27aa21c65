import {
  deploymentToJson,
  listingIdOf,
  mockZkVerifierAbi,
  mockZkVerifierBytecode,
  modeMask,
} from "@opg/contracts";
import { configDigest, ProofMode as Mode, ResultBatchTree, signBatchRoot } from "@opg/protocol";
import { Until } from "@opg/testkit";
import { createWalletClient, custom, encodeAbiParameters, keccak256, parseEther, toHex } from "viem";
import { getBlockNumber, getTransactionReceipt } from "viem/actions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OpgContracts } from "../../src/actions/OpgContracts.js";
import type { BatchHeader } from "../../src/actions/types.js";
import { MemoryCheckpointStore } from "../../src/checkpoint/CheckpointStore.js";
import { checkDeployment, parseDeployment } from "../../src/deployments/loadDeployment.js";
import { RevertedError } from "../../src/errors/ChainError.js";
import { TxSender } from "../../src/tx/TxSender.js";
import { BatchSettledWatcher, type SettledBatchEvent } from "../../src/watch/BatchSettledWatcher.js";
import {
  deadlineIn,
  deployTestOpg,
  type OpgFixture,
  startTestChain,
  TEST_MODEL,
  type TestAccount,
  type TestChain,
} from "../helpers/testChain.js";

let chain: TestChain;
let fixture: OpgFixture;
const senders: TxSender[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  fixture = await deployTestOpg(chain);
});

afterAll(async () => {
  for (const s of senders) s.stop();
  await chain?.close();
});

/** Contracts acting as `account` (through the HTTP RPC, like a daemon). */
function as(account: TestAccount): OpgContracts {
  const sender = new TxSender(
    { chainId: chain.chainId, receiptPollIntervalMs: 10 },
    { client: chain.client, account },
  );
  sender.start();
  senders.push(sender);
  return new OpgContracts(fixture.deployment, { client: chain.client, sender });
}

async function expectRevert(promise: Promise<unknown>, errorName: string): Promise<RevertedError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RevertedError);
  expect((error as RevertedError).errorName).toBe(errorName);
  return error as RevertedError;
}

/** Settles one batch holding `results`, signed by the first f + 1 verifier keys. */
async function settle(contracts: OpgContracts, results: Parameters<typeof ResultBatchTree.of>[0]) {
  const tree = ResultBatchTree.of(results);
  const set = await contracts.registry.getVerifierSet();
  const header: BatchHeader = {
    configDigest: set.configDigest,
    batchId: (await contracts.hub.lastBatchId()) + 1n,
    root: tree.root,
    count: tree.count,
  };
  const domain = { chainId: chain.chainId, verifyingContract: fixture.deployment.inferenceHub };
  const signatures = fixture.verifierKeys
    .slice(0, set.f + 1)
    .map((k) => signBatchRoot(k.privateKey, domain, header));
  await contracts.hub.settleBatch(header, signatures);
  return { tree, header };
}

describe("deployment", () => {
  test("default: checkDeployment accepts the live deployment", async () => {
    await checkDeployment(chain.client, parseDeployment(deploymentToJson(fixture.deployment)));
  });

  test("error: checkDeployment refuses a wrong chain or a missing contract", async () => {
    await expect(checkDeployment(chain.client, { ...fixture.deployment, chainId: 1 })).rejects.toMatchObject({
      code: "CHAIN_MISMATCH",
    });
    await expect(
      checkDeployment(chain.client, { ...fixture.deployment, modelRegistry: fixture.deployer.address }),
    ).rejects.toMatchObject({ code: "DEPLOYMENTS_INVALID", meta: { key: "modelRegistry" } });
    await expect(
      checkDeployment(chain.client, { ...fixture.deployment, enclaveRegistry: fixture.deployer.address }),
    ).rejects.toMatchObject({ code: "DEPLOYMENTS_INVALID", meta: { key: "enclaveRegistry" } });
    // Code there, but wired to another hub: the model registry is no EnclaveRegistry.
    await expect(
      checkDeployment(chain.client, {
        ...fixture.deployment,
        enclaveRegistry: fixture.deployment.modelRegistry,
      }),
    ).rejects.toBeDefined();
  });
});

describe("OperatorRegistryActions", () => {
  test("default: reads the verifier set, f and the config digest", async () => {
    const { registry } = new OpgContracts(fixture.deployment, { client: chain.client });
    const set = await registry.getVerifierSet();
    expect(set.signers).toEqual(fixture.verifierKeys.map((k) => k.address));
    expect(set.f).toBe(1);
    expect(set.configDigest).toBe(
      configDigest({
        chainId: chain.chainId,
        registry: fixture.deployment.operatorRegistry,
        configCount: set.configCount,
        signers: set.signers,
        f: set.f,
      }),
    );
    expect(await registry.getConfigDigest()).toBe(set.configDigest);
    expect(await registry.isActiveVerifier(fixture.verifierKeys[1]!.address)).toBe(true);
    expect(await registry.verifierIndex(fixture.verifierKeys[2]!.address)).toEqual({
      member: true,
      index: 2,
    });
    expect(await registry.getMinStakes()).toEqual({ executor: parseEther("0.1"), verifier: parseEther("1") });
  });

  test("behavior: registers an executor with a separate signing key, stakes more, then unbonds", async () => {
    const owner = await chain.fundedAccount();
    const key = await chain.fundedAccount("0");
    const { registry } = as(owner);
    expect((await registry.getOperator(owner.address)).status).toBe("none");
    await registry.register({ role: "executor", signer: key });
    expect(await registry.isActiveExecutor(key.address)).toBe(true);
    expect(await registry.getOperator(owner.address)).toMatchObject({
      owner: owner.address,
      signer: key.address,
      role: "executor",
      status: "active",
      stake: parseEther("0.1"),
    });
    expect((await registry.getSignerInfo(key.address)).owner).toBe(owner.address);

    await registry.addStake(parseEther("0.5"));
    expect((await registry.getOperator(owner.address)).stake).toBe(parseEther("0.6"));

    await expectRevert(registry.register({ role: "executor", signer: key }), "AlreadyRegistered");

    await registry.requestUnbond();
    expect((await registry.getOperator(owner.address)).status).toBe("unbonding");
    expect(await registry.isActiveExecutor(key.address)).toBe(false);
    await expectRevert(registry.withdrawStake(), "UnbondingNotFinished");
  });

  test("error: a binding signed by another key is refused (proof of possession)", async () => {
    const owner = await chain.fundedAccount();
    const key = await chain.fundedAccount("0");
    const impostor = await chain.fundedAccount("0");
    const { registry } = as(owner);
    const forged = { address: key.address, signTypedData: impostor.signTypedData };
    await expectRevert(registry.register({ role: "verifier", signer: forged }), "InvalidSignerProof");
  });
});

describe("ModelRegistryActions", () => {
  test("default: reads a listing, its request terms and the publisher's latest listing", async () => {
    const { models } = new OpgContracts(fixture.deployment, { client: chain.client });
    expect(await models.getListing(fixture.listingId)).toMatchObject({
      listingId: fixture.listingId,
      modelId: TEST_MODEL.modelId,
      owner: fixture.deployer.address,
      modes: TEST_MODEL.modes,
      price: TEST_MODEL.price,
      metadataURI: TEST_MODEL.metadataURI,
      zkKeySealed: false,
    });
    expect(await models.requestTerms(fixture.listingId)).toEqual({
      modelId: TEST_MODEL.modelId,
      modes: TEST_MODEL.modes,
      price: TEST_MODEL.price,
    });
    expect(await models.latestListing(TEST_MODEL.modelId, fixture.deployer.address)).toBe(fixture.listingId);
    expect(await models.supportsMode(fixture.listingId, Mode.TEE)).toBe(true);
    expect(await models.supportsMode(fixture.listingId, Mode.ZK)).toBe(false);
  });

  test("behavior: an unknown listing reads as undefined", async () => {
    const { models } = new OpgContracts(fixture.deployment, { client: chain.client });
    expect(await models.getListing(`0x${"01".repeat(32)}`)).toBeUndefined();
    expect(await models.latestListing(TEST_MODEL.modelId, `0x${"02".repeat(20)}`)).toBeUndefined();
  });

  test("behavior: anyone lists a model (even one listed already); each listing has its owner", async () => {
    const owner = await chain.fundedAccount();
    const { models } = as(owner);
    const { listingId } = await models.createListing({
      modelId: TEST_MODEL.modelId,
      metadataURI: "ipfs://m2",
      modes: 1,
      price: 7n,
    });
    expect(listingId).toBe(listingIdOf(TEST_MODEL.modelId, owner.address));
    expect(await models.getListing(listingId)).toMatchObject({ owner: owner.address, modes: 1, price: 7n });
    expect((await models.getListing(fixture.listingId))?.owner).toBe(fixture.deployer.address);
  });
});

describe("InferenceHubActions", () => {
  test("default: request → settle → verify → deliver → executor withdraws its fee", async () => {
    const dapp = as(await chain.fundedAccount());
    const executorOwner = await chain.fundedAccount();
    const executorKey = await chain.fundedAccount("0");
    await as(executorOwner).registry.register({ role: "executor", signer: executorKey });

    const input = toHex("input tensor bytes");
    const { requestId, request, event, tx } = await dapp.hub.requestInference({
      listingId: fixture.listingId,
      input,
      mode: Mode.NONE,
      deadline: await deadlineIn(chain, 600),
    });
    expect(event.transactionHash).toBe(tx.hash);
    expect(request.fee).toBe(TEST_MODEL.price);
    expect(request.inputHash).toBe(keccak256(input));
    expect(await dapp.hub.requestStatus(requestId)).toBe("pending");
    const scanned = await dapp.hub.getInferenceRequests({
      fromBlock: event.blockNumber,
      toBlock: event.blockNumber,
    });
    expect(scanned.map((e) => e.requestId)).toEqual([requestId]);

    const output = toHex("output tensor bytes");
    const result = {
      requestId,
      modelId: request.modelId,
      inputHash: request.inputHash,
      outputHash: keccak256(output),
      executor: executorKey.address,
    };
    const other = { ...result, requestId: keccak256(toHex("another request")) };
    const { tree, header } = await settle(dapp, [result, other]);
    expect(await dapp.hub.batchRoot(header.batchId)).toBe(tree.root);
    const proof = tree.proof(requestId);
    expect(await dapp.hub.verifyResult({ batchId: header.batchId, ...result, proof })).toBe(true);
    expect(
      await dapp.hub.verifyResult({
        batchId: header.batchId,
        ...result,
        outputHash: keccak256(toHex("x")),
        proof,
      }),
    ).toBe(false);

    // Anyone may deliver.
    const relayer = as(await chain.fundedAccount());
    await relayer.hub.deliver({
      requestId,
      request,
      output,
      executor: executorKey.address,
      batchId: header.batchId,
      proof,
    });
    expect(await relayer.hub.requestStatus(requestId)).toBe("delivered");
    // The executor gets the fee less the settling verifier's 10 % share.
    expect(await relayer.hub.balanceOf(executorKey.address)).toBe(TEST_MODEL.price - TEST_MODEL.price / 10n);
    await expectRevert(
      relayer.hub.deliver({
        requestId,
        request,
        output,
        executor: executorKey.address,
        batchId: header.batchId,
        proof,
      }),
      "AlreadyDelivered",
    );

    // The executor's owner withdraws the key's balance.
    await as(executorOwner).hub.withdraw(executorKey.address, executorOwner.address);
    expect(await relayer.hub.balanceOf(executorKey.address)).toBe(0n);
  });

  test("behavior: an undelivered request is refunded once the delivery grace period after its deadline is over", async () => {
    const account = await chain.fundedAccount();
    const dapp = as(account);
    const { requestId, request } = await dapp.hub.requestInference({
      listingId: fixture.listingId,
      inputHash: keccak256(toHex("large input")),
      inputURI: "https://example.org/input.bin",
      mode: Mode.TEE,
      deadline: await deadlineIn(chain, 60),
      fee: 5_000n,
    });
    expect(request.fee).toBe(5_000n);
    await expectRevert(dapp.hub.refund(requestId, request), "RequestNotExpired");
    // The hub's DELIVERY_GRACE (1 hour) after the deadline keeps a settled result deliverable.
    await chain.provider.request({ method: "evm_increaseTime", params: [120] });
    await chain.mine(1);
    await expectRevert(dapp.hub.refund(requestId, request), "RequestNotExpired");
    await chain.provider.request({ method: "evm_increaseTime", params: [3_600] });
    await chain.mine(1);
    await dapp.hub.refund(requestId, request);
    expect(await dapp.hub.requestStatus(requestId)).toBe("refunded");
    expect(await dapp.hub.balanceOf(account.address)).toBe(5_000n);
  });

  test("behavior: the ZK path settles a request with a proof the model's verifier accepts", async () => {
    const owner = await chain.fundedAccount();
    const deployer = createWalletClient({ account: owner, transport: custom(chain.provider) });
    const magic = 42n;
    const hash = await deployer.deployContract({
      abi: mockZkVerifierAbi,
      bytecode: mockZkVerifierBytecode,
      args: [magic],
      chain: null,
    });
    const verifier = (await chain.direct.waitForTransactionReceipt({ hash })).contractAddress!;
    const contracts = as(owner);
    const modelId = keccak256(toHex("zk model"));
    const vkHash = await chain.direct.readContract({
      address: verifier,
      abi: mockZkVerifierAbi,
      functionName: "verificationKeyHash",
    });
    const { listingId } = await contracts.models.createListing({
      modelId,
      metadataURI: "ipfs://zk",
      modes: modeMask(Mode.ZK),
      price: 10n,
      weightsCommitment: `0x${"00".repeat(31)}07`,
      zkVerifier: verifier,
      vkHash,
    });
    // f + 1 verifiers seal the listing's key (settleWithProof needs it).
    const seal = {
      listingId,
      vkHash,
      transcriptHash: keccak256(toHex("transcript")),
      configDigest: await contracts.registry.getConfigDigest(),
    };
    const digest = await contracts.models.zkKeySealDigest(seal);
    const signatures = await Promise.all(
      fixture.verifierKeys.slice(0, 2).map((k) => k.sign({ hash: digest })),
    );
    await contracts.models.sealZkKey(seal, signatures);
    expect((await contracts.models.getListing(listingId))?.zkKeySealed).toBe(true);
    const input = toHex("zk input");
    const { requestId, request } = await contracts.hub.requestInference({
      listingId,
      input,
      mode: Mode.ZK,
      deadline: await deadlineIn(chain, 600),
    });
    const executor = (await chain.fundedAccount("0")).address;
    const output = toHex("zk output");
    const proofOf = (n: bigint) => encodeAbiParameters([{ type: "uint256" }], [n]);
    await expectRevert(
      contracts.hub.settleWithProof({ requestId, request, input, output, executor, zkProof: proofOf(1n) }),
      "InvalidZkProof",
    );
    await contracts.hub.settleWithProof({
      requestId,
      request,
      input,
      output,
      executor,
      zkProof: proofOf(magic),
    });
    expect(await contracts.hub.requestStatus(requestId)).toBe("delivered");
    expect(await contracts.hub.balanceOf(executor)).toBe(10n);
  });

  test("error: requests that break the hub's rules revert with decoded errors", async () => {
    const dapp = as(await chain.fundedAccount());
    const deadline = await deadlineIn(chain, 600);
    await expectRevert(
      dapp.hub.requestInference({ listingId: fixture.listingId, input: "0x01", mode: Mode.ZK, deadline }),
      "ModeNotSupported",
    );
    const low = await expectRevert(
      dapp.hub.requestInference({
        listingId: fixture.listingId,
        input: "0x01",
        mode: Mode.NONE,
        deadline,
        fee: 1n,
      }),
      "FeeTooLow",
    );
    expect(low.args).toEqual([1n, TEST_MODEL.price]);
  });

  test("error: a batch with too few signatures reverts with InsufficientSignatures", async () => {
    const contracts = as(await chain.fundedAccount());
    const set = await contracts.registry.getVerifierSet();
    const header: BatchHeader = {
      configDigest: set.configDigest,
      batchId: (await contracts.hub.lastBatchId()) + 1n,
      root: keccak256(toHex("root")),
      count: 1,
    };
    const domain = { chainId: chain.chainId, verifyingContract: fixture.deployment.inferenceHub };
    const one = signBatchRoot(fixture.verifierKeys[0]!.privateKey, domain, header);
    const error = await expectRevert(contracts.hub.settleBatch(header, [one]), "InsufficientSignatures");
    expect(error.args).toEqual([1n, 2n]);
  });

  test("error: aborting settleBatch gives up the wait for its receipt (ABORTED); the batch settles once mined", async () => {
    const until = new Until();
    const broadcasts: number[] = [];
    const sender = new TxSender(
      { chainId: chain.chainId, receiptPollIntervalMs: 10, maxReplacements: 0 },
      {
        client: chain.client,
        account: await chain.fundedAccount(),
        metrics: {
          onBroadcast: (e) => {
            broadcasts.push(e.nonce);
            until.notify();
          },
        },
      },
    );
    sender.start();
    senders.push(sender);
    const contracts = new OpgContracts(fixture.deployment, { client: chain.client, sender });
    const set = await contracts.registry.getVerifierSet();
    const header: BatchHeader = {
      configDigest: set.configDigest,
      batchId: (await contracts.hub.lastBatchId()) + 1n,
      root: keccak256(toHex("aborted root")),
      count: 1,
    };
    const domain = { chainId: chain.chainId, verifyingContract: fixture.deployment.inferenceHub };
    const signatures = fixture.verifierKeys
      .slice(0, set.f + 1)
      .map((k) => signBatchRoot(k.privateKey, domain, header));
    await chain.setAutomine(false);
    try {
      const abort = new AbortController();
      const settling = contracts.hub
        .settleBatch(header, signatures, { signal: abort.signal })
        .catch((e: unknown) => e);
      await until.until(() => broadcasts.length === 1, "the settleBatch broadcast");
      abort.abort();
      expect(await settling).toMatchObject({ code: "ABORTED", meta: { nonce: broadcasts[0] } });
      await chain.mine(1);
    } finally {
      await chain.setAutomine(true);
    }
    // Aborting gave up the wait, not the transaction: it was mined.
    expect(await contracts.hub.batchRoot(header.batchId)).toBe(header.root);
  });

  test("behavior: BatchSettledWatcher hands out each settled batch, decoded, with its transaction", async () => {
    const contracts = as(await chain.fundedAccount());
    const fromBlock = (await getBlockNumber(chain.client)) + 1n;
    const until = new Until();
    const seen: SettledBatchEvent[] = [];
    const watcher = new BatchSettledWatcher(
      { hub: fixture.deployment.inferenceHub, fromBlock, confirmations: 0, pollIntervalMs: 10 },
      {
        client: chain.client,
        checkpoint: new MemoryCheckpointStore(),
        onSettled: (e) => {
          seen.push(e);
          until.notify();
        },
      },
    );
    await watcher.start();
    try {
      const result = {
        requestId: keccak256(toHex("watched request")),
        modelId: TEST_MODEL.modelId,
        inputHash: keccak256(toHex("in")),
        outputHash: keccak256(toHex("out")),
        executor: fixture.deployment.deployer,
      };
      const { tree, header } = await settle(contracts, [result]);
      await until.until(() => seen.length === 1, "the BatchSettled event");
      expect(seen[0]).toMatchObject({ batchId: header.batchId, root: tree.root, count: 1 });
      const receipt = await getTransactionReceipt(chain.client, { hash: seen[0]!.tx });
      expect(receipt.status).toBe("success");
    } finally {
      await watcher.stop();
    }
  });

  test("behavior: a verifier that signs two roots for one batch is slashed by a challenge", async () => {
    const challenger = await chain.fundedAccount();
    const contracts = as(challenger);
    const set = await contracts.registry.getVerifierSet();
    const batchId = (await contracts.hub.lastBatchId()) + 100n;
    const a: BatchHeader = { configDigest: set.configDigest, batchId, root: keccak256(toHex("a")), count: 1 };
    const b: BatchHeader = { ...a, root: keccak256(toHex("b")) };
    const domain = { chainId: chain.chainId, verifyingContract: fixture.deployment.inferenceHub };
    const key = fixture.verifierKeys[2]!;
    await contracts.hub.challengeVerifierEquivocation(
      a,
      signBatchRoot(key.privateKey, domain, a),
      b,
      signBatchRoot(key.privateKey, domain, b),
    );
    expect(await contracts.registry.isActiveVerifier(key.address)).toBe(false);
    expect((await contracts.registry.getSignerInfo(key.address)).burned).toBe(true);
    expect(await contracts.registry.claimable(challenger.address)).toBeGreaterThan(0n);
    await expectRevert(
      contracts.hub.challengeVerifierEquivocation(
        a,
        signBatchRoot(key.privateKey, domain, a),
        a,
        signBatchRoot(key.privateKey, domain, a),
      ),
      "NotEquivocation",
    );
  });
});
