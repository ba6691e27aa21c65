import { getAddress, type Hex, keccak256, parseEventLogs, toHex } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { expectRevert } from "./helpers/errors.js";
import {
  account,
  connect,
  deploySystem,
  PRICE,
  REGISTRY_PARAMS,
  type System,
  tensorBytes,
} from "./helpers/fixture.js";
import {
  type BatchHeader,
  type ExecutionResultMessage,
  malleate,
  proofFor,
  signBatchRoot,
  signExecutionResult,
} from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function hubChallengeFixture() {
  return deploySystem(conn);
};

describe("InferenceHub equivocation challenges", () => {
  let s: System;
  let challenger: System["wallets"][number];
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
    challenger = s.wallets[17]!;
  });

  function results(): [ExecutionResultMessage, ExecutionResultMessage] {
    const base = {
      requestId: keccak256(toHex("req")),
      modelId: keccak256(toHex("model")),
      inputHash: keccak256(toHex("in")),
      outputHash: keccak256(toHex("out-a")),
      mode: 0,
    };
    return [base, { ...base, outputHash: keccak256(toHex("out-b")) }];
  }

  const signResult = (i: number, r: ExecutionResultMessage) =>
    signExecutionResult(s.executorSigners[i]!, s.chainId, s.hub.address, r);

  it("default: executor equivocation slashes the whole stake, split between challenger and treasury", async () => {
    const [a, b] = results();
    const hash = await s.hub.write.challengeExecutorEquivocation(
      [a, await signResult(0, a), b, await signResult(0, b)],
      {
        account: challenger.account,
      },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({
      abi: s.hub.abi,
      logs: receipt.logs,
      eventName: "ExecutorEquivocationProven",
    });
    const stake = REGISTRY_PARAMS.minExecutorStake;
    expect(event?.args).toEqual({
      signer: s.executorSigners[0]!.address,
      requestId: a.requestId,
      challenger: getAddress(challenger.account.address),
      slashed: stake,
    });
    const [slashed] = parseEventLogs({ abi: s.registry.abi, logs: receipt.logs, eventName: "Slashed" });
    expect(slashed?.args).toMatchObject({
      amount: stake,
      challengerReward: stake / 10n,
      treasuryShare: stake - stake / 10n,
    });
    expect(await s.registry.read.claimable([challenger.account.address])).toBe(stake / 10n);
    expect(await s.registry.read.claimable([s.treasury])).toBe(stake - stake / 10n);
    expect(await s.registry.read.isActiveExecutor([s.executorSigners[0]!.address])).toBe(false);
    expect((await s.registry.read.getOperator([s.executorOwners[0]!.account.address])).stake).toBe(0n);
    expect((await s.registry.read.getSignerInfo([s.executorSigners[0]!.address])).burned).toBe(true);

    // Claims are pull payments.
    const to = s.wallets[16]!.account.address;
    const before = await s.publicClient.getBalance({ address: to });
    await s.registry.write.claim([to], { account: challenger.account });
    expect(await s.publicClient.getBalance({ address: to })).toBe(before + stake / 10n);

    // The same key cannot be slashed twice, nor bound again.
    await expectRevert(
      s.hub.write.challengeExecutorEquivocation([a, await signResult(0, a), b, await signResult(0, b)]),
      "SignerIsBurned",
      [s.executorSigners[0]!.address],
    );
  });

  it("behavior: an executor that reports itself from its owner's address still loses 90 % of its stake and its unwithdrawn fees", async () => {
    // Executor 0 earned a fee (settled and delivered) and has another settled result waiting.
    const earn = async () => {
      const req = await s.request();
      const output = tensorBytes(`out-${req.requestId}`);
      const result = s.resultFor(req.requestId, req.request, output);
      const { tree, header } = await s.settle([result]);
      return [
        req.requestId,
        req.request,
        output,
        result.executor,
        header.batchId,
        proofFor(tree, result),
      ] as const;
    };
    await s.hub.write.deliver([...(await earn())]);
    const executor = s.executorSigners[0]!.address;
    const fee = PRICE - PRICE / 10n;
    expect(await s.hub.read.balanceOf([executor])).toBe(fee);
    const later = await earn();

    const owner = s.executorOwners[0]!;
    const [a, b] = results();
    const hash = await s.hub.write.challengeExecutorEquivocation(
      [a, await signResult(0, a), b, await signResult(0, b)],
      { account: owner.account },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const stake = REGISTRY_PARAMS.minExecutorStake;
    // The self-reporter gets the bounty only: it is down 90 % of its stake.
    expect(await s.registry.read.claimable([owner.account.address])).toBe(stake / 10n);
    expect(await s.registry.read.claimable([s.treasury])).toBe(stake - stake / 10n);
    // Fees not withdrawn are forfeited to the treasury at the slash...
    const [forfeit] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "FeesForfeited" });
    expect(forfeit?.args).toEqual({ account: executor, treasury: getAddress(s.treasury), amount: fee });
    expect(await s.hub.read.balanceOf([executor])).toBe(0n);
    expect(await s.hub.read.balanceOf([s.treasury])).toBe(fee);
    // ...and so are fees credited later: a delivery still pays, but the burned key's withdrawal goes to the treasury.
    await s.hub.write.deliver([...later]);
    const to = s.wallets[16]!.account.address;
    const before = await s.publicClient.getBalance({ address: to });
    await s.hub.write.withdraw([executor, to], { account: owner.account });
    expect(await s.publicClient.getBalance({ address: to })).toBe(before);
    expect(await s.hub.read.balanceOf([s.treasury])).toBe(2n * fee);
  });

  it("error: executor statements that do not conflict, or signed by different keys", async () => {
    const [a, b] = results();
    const sa = await signResult(0, a);
    await expectRevert(s.hub.write.challengeExecutorEquivocation([a, sa, a, sa]), "NotEquivocation");
    const c = { ...b, requestId: keccak256(toHex("other")) };
    await expectRevert(
      s.hub.write.challengeExecutorEquivocation([a, sa, c, await signResult(0, c)]),
      "NotEquivocation",
    );
    await expectRevert(
      s.hub.write.challengeExecutorEquivocation([a, sa, b, await signResult(1, b)]),
      "SignersDiffer",
      [s.executorSigners[0]!.address, s.executorSigners[1]!.address],
    );
    await expectRevert(
      s.hub.write.challengeExecutorEquivocation([a, malleate(sa), b, await signResult(0, b)]),
      "InvalidSignature",
      [0n],
    );
    await expectRevert(s.hub.write.challengeExecutorEquivocation([a, sa, b, "0x1234"]), "InvalidSignature", [
      1n,
    ]);
    const stranger = account("stranger");
    await expectRevert(
      s.hub.write.challengeExecutorEquivocation([
        a,
        await signExecutionResult(stranger, s.chainId, s.hub.address, a),
        b,
        await signExecutionResult(stranger, s.chainId, s.hub.address, b),
      ]),
      "UnknownSigner",
      [stranger.address],
    );
  });

  async function conflictingHeaders(): Promise<[BatchHeader, BatchHeader]> {
    const a: BatchHeader = {
      configDigest: await s.registry.read.configDigest(),
      batchId: 7n,
      root: keccak256(toHex("root-a")),
      count: 10,
    };
    return [a, { ...a, root: keccak256(toHex("root-b")) }];
  }

  const signHeader = (i: number, h: BatchHeader) =>
    signBatchRoot(s.verifierSigners[i]!, s.chainId, s.hub.address, h);

  it("default: verifier equivocation slashes the verifier and removes it from the set", async () => {
    const [a, b] = await conflictingHeaders();
    const digestBefore = await s.registry.read.configDigest();
    const hash = await s.hub.write.challengeVerifierEquivocation(
      [a, await signHeader(1, a), b, await signHeader(1, b)],
      { account: challenger.account },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({
      abi: s.hub.abi,
      logs: receipt.logs,
      eventName: "VerifierEquivocationProven",
    });
    expect(event?.args).toMatchObject({
      signer: s.verifierSigners[1]!.address,
      batchId: 7n,
      slashed: REGISTRY_PARAMS.minVerifierStake,
    });
    const [digest, count, f, signers] = await s.registry.read.verifierConfig();
    expect(digest).not.toBe(digestBefore);
    expect(count).toBe(2n);
    expect(f).toBe(2);
    expect(signers).toEqual([0, 2, 3].map((i) => s.verifierSigners[i]!.address));
    // The remaining three still settle (3-of-3 now); the slashed key no longer counts.
    await s.settle(
      [
        {
          requestId: keccak256(toHex("x")),
          modelId: keccak256(toHex("m")),
          inputHash: keccak256(toHex("i")),
          outputHash: keccak256(toHex("o")),
          executor: s.executorSigners[0]!.address,
        },
      ],
      [0, 2, 3],
    );
  });

  it("behavior: a different count for the same root is also equivocation", async () => {
    const [a] = await conflictingHeaders();
    const b = { ...a, count: a.count + 1 };
    await s.hub.write.challengeVerifierEquivocation([a, await signHeader(0, a), b, await signHeader(0, b)]);
    expect(await s.registry.read.isActiveVerifier([s.verifierSigners[0]!.address])).toBe(false);
  });

  it("error: verifier statements that do not conflict", async () => {
    const [a, b] = await conflictingHeaders();
    const sa = await signHeader(0, a);
    await expectRevert(s.hub.write.challengeVerifierEquivocation([a, sa, a, sa]), "NotEquivocation");
    const otherBatch = { ...b, batchId: 8n };
    await expectRevert(
      s.hub.write.challengeVerifierEquivocation([a, sa, otherBatch, await signHeader(0, otherBatch)]),
      "NotEquivocation",
    );
    // Re-signing a batch id under a new configuration is legitimate.
    const otherConfig = { ...b, configDigest: keccak256(toHex("other config")) as Hex };
    await expectRevert(
      s.hub.write.challengeVerifierEquivocation([a, sa, otherConfig, await signHeader(0, otherConfig)]),
      "NotEquivocation",
    );
    await expectRevert(
      s.hub.write.challengeVerifierEquivocation([a, sa, b, await signHeader(1, b)]),
      "SignersDiffer",
      [s.verifierSigners[0]!.address, s.verifierSigners[1]!.address],
    );
    await expectRevert(
      s.hub.write.challengeVerifierEquivocation([a, sa, b, malleate(await signHeader(0, b))]),
      "InvalidSignature",
      [1n],
    );
  });
});
