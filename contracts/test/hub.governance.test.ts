import { encodeAbiParameters, getAddress, keccak256, parseEventLogs, toHex, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { RequestStatus } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  connect,
  deploySystem,
  LISTING_ID,
  PRICE,
  type System,
  tensorBytes,
  ZK_MAGIC,
} from "./helpers/fixture.js";
import { proofFor } from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function hubGovernanceFixture() {
  return deploySystem(conn);
};

/** InferenceHub.DELIVERY_GRACE. */
const GRACE = 3_600n;

describe("InferenceHub governance: the verifier fee share and pause, by the network owner", () => {
  let s: System;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  /** Request → settle a batch holding its result → deliver args. */
  async function settled(opts: Parameters<System["request"]>[0] = {}) {
    const req = await s.request(opts);
    const output = tensorBytes(`out-${req.requestId}`, 48);
    const result = s.resultFor(req.requestId, req.request, output);
    const other = { ...result, requestId: keccak256(toHex(`other-${req.requestId}`)) };
    const { tree, header } = await s.settle([result, other]);
    const args = [
      req.requestId,
      req.request,
      output,
      result.executor,
      header.batchId,
      proofFor(tree, result),
    ] as const;
    return { ...req, output, result, header, args };
  }

  const settlerOf = async (batchId: bigint) => (await s.hub.read.batchInfo([batchId]))[1];

  it("default: the network owner is the OperatorRegistry's owner; the share starts at 10 %, bounded by 50 %", async () => {
    expect(await s.hub.read.owner()).toBe(getAddress(s.admin.account.address));
    expect(await s.hub.read.owner()).toBe(await s.registry.read.owner());
    expect(await s.hub.read.verifierFeeBps()).toBe(1_000);
    expect(await s.hub.read.DEFAULT_VERIFIER_FEE_BPS()).toBe(1_000);
    expect(await s.hub.read.MAX_VERIFIER_FEE_BPS()).toBe(5_000);
    expect(await s.hub.read.paused()).toBe(false);
  });

  it("behavior: setVerifierFeeBps emits VerifierFeeChanged; the new share pays batches settled afterwards, settled batches keep theirs", async () => {
    const before = await settled();
    expect(await s.hub.read.batchVerifierFeeBps([before.header.batchId])).toBe(1_000);

    const hash = await s.hub.write.setVerifierFeeBps([2_500]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "VerifierFeeChanged" });
    expect(event?.args).toEqual({ previousBps: 1_000, newBps: 2_500 });
    expect(await s.hub.read.verifierFeeBps()).toBe(2_500);

    const after = await settled();
    expect(await s.hub.read.batchVerifierFeeBps([after.header.batchId])).toBe(2_500);
    const settler = await settlerOf(after.header.batchId);
    expect(settler).toBe(await settlerOf(before.header.batchId));
    const executor = before.result.executor;

    await s.hub.write.deliver([...before.args]);
    expect(await s.hub.read.balanceOf([settler])).toBe(PRICE / 10n);
    expect(await s.hub.read.balanceOf([executor])).toBe(PRICE - PRICE / 10n);

    await s.hub.write.deliver([...after.args]);
    expect(await s.hub.read.balanceOf([settler])).toBe(PRICE / 10n + PRICE / 4n);
    expect(await s.hub.read.balanceOf([executor])).toBe(PRICE - PRICE / 10n + PRICE - PRICE / 4n);
  });

  it("behavior: a zero share pays the executor the whole fee; the 50 % bound is allowed, above it is refused", async () => {
    await s.hub.write.setVerifierFeeBps([0]);
    const d = await settled();
    await s.hub.write.deliver([...d.args]);
    expect(await s.hub.read.balanceOf([await settlerOf(d.header.batchId)])).toBe(0n);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(PRICE);

    await s.hub.write.setVerifierFeeBps([5_000]);
    expect(await s.hub.read.verifierFeeBps()).toBe(5_000);
    await expectRevert(s.hub.write.setVerifierFeeBps([5_001]), "VerifierFeeTooHigh", [5_001, 5_000]);
    await expectRevert(s.hub.write.setVerifierFeeBps([65_535]), "VerifierFeeTooHigh", [65_535, 5_000]);
    expect(await s.hub.read.verifierFeeBps()).toBe(5_000);
  });

  it("auth: only the network owner sets the share or pauses; a registry ownership transfer moves it", async () => {
    const stranger = s.wallets[17]!;
    const owner = getAddress(s.admin.account.address);
    const as = { account: stranger.account };
    await expectRevert(s.hub.write.setVerifierFeeBps([2_000], as), "NotNetworkOwner", [
      getAddress(stranger.account.address),
      owner,
    ]);
    await expectRevert(s.hub.write.pause(as), "NotNetworkOwner");
    await expectRevert(s.hub.write.unpause(as), "NotNetworkOwner");
    // A verifier or an executor is no owner either.
    await expectRevert(
      s.hub.write.setVerifierFeeBps([5_000], { account: s.verifierOwners[0]!.account }),
      "NotNetworkOwner",
    );

    // Ownable2Step on the registry: the hub follows once the new owner accepts.
    await s.registry.write.transferOwnership([stranger.account.address]);
    expect(await s.hub.read.owner()).toBe(owner);
    await s.registry.write.acceptOwnership(as);
    expect(await s.hub.read.owner()).toBe(getAddress(stranger.account.address));
    await s.hub.write.setVerifierFeeBps([2_000], as);
    expect(await s.hub.read.verifierFeeBps()).toBe(2_000);
    await expectRevert(s.hub.write.pause(), "NotNetworkOwner");
  });

  it("behavior: a paused hub takes no requests and settles nothing; unpause resumes both", async () => {
    const pending = await s.request();
    const hash = await s.hub.write.pause();
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "Paused" });
    expect(event?.args).toEqual({ account: getAddress(s.admin.account.address) });
    expect(await s.hub.read.paused()).toBe(true);
    await expectRevert(s.hub.write.pause(), "EnforcedPause");

    await expectRevert(s.request(), "EnforcedPause");
    const now = BigInt(await conn.networkHelpers.time.latest());
    await expectRevert(
      s.hub.write.requestInferenceByRef(
        [LISTING_ID, keccak256(toHex("in")), "ipfs://in", 0, zeroAddress, 0, 0n, now + 3_600n],
        { value: PRICE },
      ),
      "EnforcedPause",
    );
    const output = tensorBytes("paused-out", 48);
    await expectRevert(s.settle([s.resultFor(pending.requestId, pending.request, output)]), "EnforcedPause");
    expect(await s.hub.read.lastBatchId()).toBe(0n);

    await s.hub.write.unpause();
    expect(await s.hub.read.paused()).toBe(false);
    await expectRevert(s.hub.write.unpause(), "ExpectedPause");
    const { header } = await s.settle([s.resultFor(pending.requestId, pending.request, output)]);
    expect(await s.hub.read.lastBatchId()).toBe(header.batchId);
    expect((await s.request()).requestId).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("behavior: a paused hub settles no ZK proof either", async () => {
    const input = tensorBytes("zk-input");
    const req = await s.request({ mode: 1, input });
    await s.hub.write.pause();
    const proof = encodeAbiParameters([{ type: "uint256" }], [ZK_MAGIC]);
    await expectRevert(
      s.hub.write.settleWithProof([
        req.requestId,
        req.request,
        input,
        tensorBytes("zk-out"),
        s.executorSigners[0]!.address,
        proof,
      ]),
      "EnforcedPause",
    );
    expect(await s.hub.read.requestStatus([req.requestId])).toBe(RequestStatus.PENDING);
  });

  it("behavior: pausing traps no funds: settled results deliver, expired requests refund, balances withdraw", async () => {
    const d = await settled({
      callback: s.consumer.address,
      callbackGasLimit: 100_000,
      callbackGasPrice: 1n,
      value: PRICE + 100_000n,
    });
    const unsettled = await s.request();
    await s.hub.write.pause();

    // Delivery of a batch settled before the pause pays the executor and the settler as usual.
    await s.hub.write.deliver([...d.args]);
    expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.DELIVERED);
    const executor = d.result.executor;
    expect(await s.hub.read.balanceOf([executor])).toBe(PRICE - PRICE / 10n);

    // A request that cannot settle while paused is refunded after its deadline and the grace period.
    await conn.networkHelpers.time.increaseTo(unsettled.request.deadline + GRACE + 1n);
    await s.hub.write.refund([unsettled.requestId, unsettled.request]);
    expect(await s.hub.read.requestStatus([unsettled.requestId])).toBe(RequestStatus.REFUNDED);
    const requester = s.requester.account.address;
    expect(await s.hub.read.balanceOf([requester])).toBeGreaterThanOrEqual(PRICE);

    // Withdrawals: the requester's refund and the executor's fee (by its owner).
    const to = s.wallets[16]!.account.address;
    const start = await s.publicClient.getBalance({ address: to });
    const refundable = await s.hub.read.balanceOf([requester]);
    await s.hub.write.withdraw([requester, to], { account: s.requester.account });
    await s.hub.write.withdraw([executor, to], { account: s.executorOwners[0]!.account });
    expect(await s.publicClient.getBalance({ address: to })).toBe(start + refundable + PRICE - PRICE / 10n);
    expect(await s.hub.read.paused()).toBe(true);
  });
});
