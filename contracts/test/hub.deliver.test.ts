import {
  createWalletClient,
  custom,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  toHex,
  zeroAddress,
} from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { RequestStatus } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import { connect, deploySystem, PRICE, type System, tensorBytes } from "./helpers/fixture.js";
import { proofFor } from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function hubDeliverFixture() {
  return deploySystem(conn);
};

const Behaviour = { Record: 0, Revert: 1, BurnGas: 2, ReturnBomb: 3, Reenter: 4 } as const;
/** InferenceHub.DEFAULT_VERIFIER_FEE_BPS and DELIVERY_GRACE. */
const VERIFIER_SHARE = PRICE / 10n;
const EXECUTOR_SHARE = PRICE - VERIFIER_SHARE;
const GRACE = 3_600n;

describe("InferenceHub.deliver", () => {
  let s: System;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  /** Request → settle a batch holding its result (plus `extra` unrelated results) → deliver args. */
  async function settled(opts: Parameters<System["request"]>[0] = {}, extra = 3) {
    const req = await s.request(opts);
    const output = tensorBytes(`out-${req.requestId}`, 48);
    const result = s.resultFor(req.requestId, req.request, output);
    const others = Array.from({ length: extra }, (_, i) => ({
      ...result,
      requestId: keccak256(toHex(`other-${i}-${req.requestId}`)),
    }));
    const { tree, header } = await s.settle([result, ...others]);
    const proof = proofFor(tree, result);
    const args = [req.requestId, req.request, output, result.executor, header.batchId, proof] as const;
    return { ...req, output, result, tree, header, proof, args };
  }

  it("default: anyone delivers; the request is marked delivered and the executor credited", async () => {
    const d = await settled();
    const anyone = s.wallets[17]!;
    const hash = await s.hub.write.deliver([...d.args], { account: anyone.account });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
    expect(event?.args).toEqual({
      requestId: d.requestId,
      executor: getAddress(d.result.executor),
      batchId: d.header.batchId,
      outputHash: keccak256(d.output),
      callbackSuccess: false,
    });
    expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.DELIVERED);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
    // The settling verifier (the fixture settles from a non-signer account: the first signer) earns its share.
    const [root, settler, settledAt] = await s.hub.read.batchInfo([d.header.batchId]);
    expect(root).toBe(d.tree.root);
    expect(settler).toBe(getAddress(s.verifierSigners[0]!.address));
    expect(settledAt).toBeGreaterThan(0n);
    expect(await s.hub.read.balanceOf([settler])).toBe(VERIFIER_SHARE);
    expect(await s.hub.read.verifierFeeBps()).toBe(1_000);
  });

  it("behavior: delivery at exactly the deadline is allowed", async () => {
    const now = BigInt(await conn.networkHelpers.time.latest());
    const d = await settled({ deadline: now + 100n });
    await conn.networkHelpers.time.setNextBlockTimestamp(now + 100n);
    await s.hub.write.deliver([...d.args]);
    expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.DELIVERED);
  });

  it("behavior: the executor's owner or the key itself withdraws the fee", async () => {
    const d = await settled();
    await s.hub.write.deliver([...d.args]);
    const owner = s.executorOwners[0]!;
    const to = s.wallets[16]!.account.address;
    const before = await s.publicClient.getBalance({ address: to });
    await s.hub.write.withdraw([d.result.executor, to], { account: owner.account });
    expect(await s.publicClient.getBalance({ address: to })).toBe(before + EXECUTOR_SHARE);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(0n);

    const d2 = await settled();
    await s.hub.write.deliver([...d2.args]);
    const key = s.executorSigners[0]!;
    await conn.networkHelpers.setBalance(key.address, 10n ** 18n);
    const keyClient = createWalletClient({ account: key, transport: custom(conn.provider) });
    const hash = await keyClient.writeContract({
      address: s.hub.address,
      abi: s.hub.abi,
      functionName: "withdraw",
      args: [key.address, to],
      chain: null,
    });
    await s.publicClient.waitForTransactionReceipt({ hash });
    expect(await s.publicClient.getBalance({ address: to })).toBe(before + 2n * EXECUTOR_SHARE);
  });

  it("behavior: the callback receives the output with its full gas limit", async () => {
    const d = await settled({ callback: s.consumer.address, callbackGasLimit: 200_000 });
    const hash = await s.hub.write.deliver([...d.args]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
    expect(event?.args.callbackSuccess).toBe(true);
    expect(await s.consumer.read.lastRequestId()).toBe(d.requestId);
    expect(await s.consumer.read.lastOutput()).toBe(d.output);
    const gasAtStart = await s.consumer.read.gasAtStart();
    expect(gasAtStart).toBeGreaterThan(195_000n);
    expect(gasAtStart).toBeLessThanOrEqual(200_000n);
  });

  for (const [name, behaviour] of [
    ["reverts", Behaviour.Revert],
    ["burns all its gas", Behaviour.BurnGas],
    ["returns a huge payload", Behaviour.ReturnBomb],
  ] as const) {
    it(`behavior: a callback that ${name} does not revert delivery`, async () => {
      await s.consumer.write.setBehaviour([behaviour]);
      const d = await settled({ callback: s.consumer.address, callbackGasLimit: 300_000 });
      const hash = await s.hub.write.deliver([...d.args], { gas: 1_000_000n });
      const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
      const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
      expect(event?.args.callbackSuccess).toBe(false);
      expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.DELIVERED);
      expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
      // The callee can spend at most its limit; the hub's own work stays small.
      expect(receipt.gasUsed).toBeLessThan(300_000n + 120_000n);
    });
  }

  it("behavior: the callback gas escrow reimburses the deliverer at min(gas price, bound) and refunds the rest", async () => {
    const limit = 200_000;
    const bound = 50_000_000_000n; // 50 gwei: above what the dev chain charges
    const escrow = BigInt(limit) * bound;
    const d = await settled({
      callback: s.consumer.address,
      callbackGasLimit: limit,
      callbackGasPrice: bound,
      value: PRICE + escrow,
    });
    expect(d.request.fee).toBe(PRICE);
    const deliverer = s.wallets[17]!;
    const hash = await s.hub.write.deliver([...d.args], { account: deliverer.account });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({
      abi: s.hub.abi,
      logs: receipt.logs,
      eventName: "CallbackGasReimbursed",
    });
    const { gasUsed, paid } = event!.args;
    expect(receipt.effectiveGasPrice).toBeLessThan(bound);
    expect(gasUsed).toBeGreaterThan(0n);
    expect(gasUsed).toBeLessThan(BigInt(limit));
    expect(paid).toBe(gasUsed * receipt.effectiveGasPrice);
    expect(await s.hub.read.balanceOf([deliverer.account.address])).toBe(paid);
    expect(await s.hub.read.balanceOf([d.request.requester])).toBe(escrow - paid);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
  });

  it("behavior: a gas-burning callback costs the deliverer nothing beyond the requester's escrow", async () => {
    await s.consumer.write.setBehaviour([Behaviour.BurnGas]);
    const limit = 300_000;
    const d = await settled({
      callback: s.consumer.address,
      callbackGasLimit: limit,
      callbackGasPrice: 1n, // a bound below the chain's gas price: reimbursed at the bound
      value: PRICE + BigInt(limit),
    });
    const deliverer = s.wallets[17]!;
    const hash = await s.hub.write.deliver([...d.args], { account: deliverer.account, gas: 1_000_000n });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({
      abi: s.hub.abi,
      logs: receipt.logs,
      eventName: "CallbackGasReimbursed",
    });
    expect(event!.args.gasUsed).toBeGreaterThanOrEqual(BigInt(limit));
    expect(event!.args.paid).toBe(BigInt(limit)); // capped at the escrow
    expect(await s.hub.read.balanceOf([d.request.requester])).toBe(0n);
  });

  it("behavior: a refund returns the fee and the whole callback gas escrow", async () => {
    const req = await s.request({
      callback: s.consumer.address,
      callbackGasLimit: 100_000,
      callbackGasPrice: 3n,
      value: PRICE + 300_000n,
    });
    await conn.networkHelpers.time.increaseTo(req.request.deadline + GRACE + 1n);
    await s.hub.write.refund([req.requestId, req.request]);
    expect(await s.hub.read.balanceOf([req.request.requester])).toBe(PRICE + 300_000n);
  });

  it("behavior: a callback that re-enters the hub cannot deliver again", async () => {
    const d = await settled({ callback: s.consumer.address, callbackGasLimit: 500_000 });
    await s.consumer.write.setBehaviour([Behaviour.Reenter]);
    await s.consumer.write.setReentryCall([
      encodeFunctionData({ abi: s.hub.abi, functionName: "deliver", args: [...d.args] }),
    ]);
    await s.hub.write.deliver([...d.args]);
    expect(await s.consumer.read.reentrySucceeded()).toBe(false);
    expect(await s.consumer.read.calls()).toBe(1n);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
  });

  it("behavior: a callback address without code counts as a failed callback", async () => {
    const d = await settled({ callback: s.wallets[15]!.account.address, callbackGasLimit: 50_000 });
    const hash = await s.hub.write.deliver([...d.args]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
    expect(event?.args.callbackSuccess).toBe(false);
  });

  it("error: not enough gas to honour the callback gas limit (63/64 rule)", async () => {
    const d = await settled({ callback: s.consumer.address, callbackGasLimit: 1_000_000 });
    await expectRevert(s.hub.write.deliver([...d.args], { gas: 900_000n }), "InsufficientGasForCallback");
    expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.PENDING);
  });

  it("error: no double delivery", async () => {
    const d = await settled();
    await s.hub.write.deliver([...d.args]);
    await expectRevert(s.hub.write.deliver([...d.args]), "AlreadyDelivered", [d.requestId]);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
  });

  it("error: unknown request and tampered request records", async () => {
    const d = await settled();
    const unknown = keccak256(toHex("unknown"));
    await expectRevert(s.hub.write.deliver([unknown, ...d.args.slice(1)] as never), "UnknownRequest", [
      unknown,
    ]);
    for (const tampered of [
      { ...d.request, fee: d.request.fee + 1n },
      { ...d.request, requester: zeroAddress },
      { ...d.request, deadline: d.request.deadline + 1n },
      { ...d.request, callback: s.consumer.address },
    ]) {
      await expectRevert(
        s.hub.write.deliver([d.requestId, tampered, d.output, d.result.executor, d.header.batchId, d.proof]),
        "RequestMismatch",
        [d.requestId],
      );
    }
  });

  it("behavior: a result settled by the deadline is deliverable during the grace period, and no refund races it", async () => {
    const d = await settled();
    await conn.networkHelpers.time.increaseTo(d.request.deadline + 1n);
    // The requester cannot take the fee back from a settled result it could read from any verifier...
    await expectRevert(s.hub.write.refund([d.requestId, d.request]), "RequestNotExpired", [
      d.requestId,
      d.request.deadline,
    ]);
    // ...and the executor still delivers (and is paid).
    await s.hub.write.deliver([...d.args]);
    expect(await s.hub.read.balanceOf([d.result.executor])).toBe(EXECUTOR_SHARE);
    await conn.networkHelpers.time.increaseTo(d.request.deadline + GRACE + 1n);
    await expectRevert(s.hub.write.refund([d.requestId, d.request]), "AlreadyDelivered", [d.requestId]);
  });

  it("behavior: once the grace period is over the requester refunds, and delivery is refused", async () => {
    const d = await settled();
    await conn.networkHelpers.time.increaseTo(d.request.deadline + GRACE + 1n);
    await expectRevert(s.hub.write.deliver([...d.args]), "RequestExpired", [d.requestId, d.request.deadline]);
    await s.hub.write.refund([d.requestId, d.request]);
    expect(await s.hub.read.requestStatus([d.requestId])).toBe(RequestStatus.REFUNDED);
    await expectRevert(s.hub.write.deliver([...d.args]), "AlreadyRefunded", [d.requestId]);
  });

  it("error: a batch settled after the deadline does not open the grace period", async () => {
    const req = await s.request();
    await conn.networkHelpers.time.increaseTo(req.request.deadline + 1n);
    const output = tensorBytes("late", 48);
    const result = s.resultFor(req.requestId, req.request, output);
    const { tree, header } = await s.settle([result]);
    await expectRevert(
      s.hub.write.deliver([
        req.requestId,
        req.request,
        output,
        result.executor,
        header.batchId,
        proofFor(tree, result),
      ]),
      "RequestExpired",
      [req.requestId, req.request.deadline],
    );
  });

  it("error: wrong output, executor, batch or proof", async () => {
    const d = await settled();
    const [id, req, output, executor, batchId, proof] = d.args;
    await expectRevert(
      s.hub.write.deliver([id, req, tensorBytes("forged", 48), executor, batchId, proof]),
      "InvalidMerkleProof",
    );
    await expectRevert(
      s.hub.write.deliver([id, req, output, s.executorSigners[1]!.address, batchId, proof]),
      "InvalidMerkleProof",
    );
    await expectRevert(
      s.hub.write.deliver([id, req, output, executor, batchId, proof.slice(1)]),
      "InvalidMerkleProof",
    );
    await expectRevert(
      s.hub.write.deliver([id, req, output, executor, batchId + 100n, proof]),
      "UnknownBatch",
      [batchId + 100n],
    );
    await expectRevert(s.hub.write.deliver([id, req, output, zeroAddress, batchId, proof]), "ZeroAddress");
    // A result for another request in the same batch cannot be replayed for this one.
    const other = d.tree.at(1)! as [Hex, Hex, Hex, Hex, Hex];
    await expectRevert(
      s.hub.write.deliver([id, req, output, executor, batchId, d.tree.getProof(1) as Hex[]]),
      "InvalidMerkleProof",
    );
    expect(other[0]).not.toBe(id);
  });
});

describe("InferenceHub.refund and withdraw", () => {
  let s: System;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  it("default: after the deadline anyone refunds; the requester withdraws", async () => {
    const { requestId, request } = await s.request();
    await expectRevert(s.hub.write.refund([requestId, request]), "RequestNotExpired", [
      requestId,
      request.deadline,
    ]);
    // Not during the delivery grace period either.
    await conn.networkHelpers.time.increaseTo(request.deadline + GRACE - 1n); // the next block is at + GRACE
    await expectRevert(s.hub.write.refund([requestId, request]), "RequestNotExpired", [
      requestId,
      request.deadline,
    ]);
    await conn.networkHelpers.time.increaseTo(request.deadline + GRACE + 1n);
    const hash = await s.hub.write.refund([requestId, request], { account: s.wallets[14]!.account });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "Refunded" });
    expect(event?.args).toEqual({ requestId, requester: getAddress(request.requester), amount: PRICE });
    expect(await s.hub.read.requestStatus([requestId])).toBe(RequestStatus.REFUNDED);
    expect(await s.hub.read.balanceOf([request.requester])).toBe(PRICE);
    await expectRevert(s.hub.write.refund([requestId, request]), "AlreadyRefunded", [requestId]);

    const to = s.wallets[13]!.account.address;
    const before = await s.publicClient.getBalance({ address: to });
    await s.hub.write.withdraw([request.requester, to], { account: s.requester.account });
    expect(await s.publicClient.getBalance({ address: to })).toBe(before + PRICE);
  });

  it("error: a refunded request cannot be delivered, a delivered one cannot be refunded", async () => {
    const a = await s.request();
    const output = tensorBytes("o");
    const result = s.resultFor(a.requestId, a.request, output);
    const { tree, header } = await s.settle([result]);
    await s.hub.write.deliver([
      a.requestId,
      a.request,
      output,
      result.executor,
      header.batchId,
      proofFor(tree, result),
    ]);
    await conn.networkHelpers.time.increaseTo(a.request.deadline + GRACE + 1n);
    await expectRevert(s.hub.write.refund([a.requestId, a.request]), "AlreadyDelivered", [a.requestId]);

    const b = await s.request();
    await conn.networkHelpers.time.increaseTo(b.request.deadline + GRACE + 1n);
    await s.hub.write.refund([b.requestId, b.request]);
    const rb = s.resultFor(b.requestId, b.request, output);
    const settledB = await s.settle([rb]);
    await expectRevert(
      s.hub.write.deliver([
        b.requestId,
        b.request,
        output,
        rb.executor,
        settledB.header.batchId,
        proofFor(settledB.tree, rb),
      ]),
      "AlreadyRefunded",
      [b.requestId],
    );
  });

  it("error: refund of unknown or tampered requests", async () => {
    const { requestId, request } = await s.request();
    await conn.networkHelpers.time.increaseTo(request.deadline + GRACE + 1n);
    const unknown = keccak256(toHex("nope"));
    await expectRevert(s.hub.write.refund([unknown, request]), "UnknownRequest", [unknown]);
    await expectRevert(
      s.hub.write.refund([requestId, { ...request, requester: s.wallets[12]!.account.address }]),
      "RequestMismatch",
      [requestId],
    );
  });

  it("error: withdraw checks caller, balance and recipient", async () => {
    const { requestId, request } = await s.request();
    await conn.networkHelpers.time.increaseTo(request.deadline + GRACE + 1n);
    await s.hub.write.refund([requestId, request]);
    const stranger = s.wallets[12]!;
    await expectRevert(
      s.hub.write.withdraw([request.requester, stranger.account.address], { account: stranger.account }),
      "NotAuthorized",
      [getAddress(stranger.account.address), getAddress(request.requester)],
    );
    await expectRevert(
      s.hub.write.withdraw([request.requester, zeroAddress], { account: s.requester.account }),
      "ZeroAddress",
    );
    // A recipient that rejects ETH (ModelRegistry has no receive function).
    await expectRevert(
      s.hub.write.withdraw([request.requester, s.models.address], { account: s.requester.account }),
      "TransferFailed",
      [getAddress(s.models.address), PRICE],
    );
    await expectRevert(
      s.hub.write.withdraw([stranger.account.address, stranger.account.address], {
        account: stranger.account,
      }),
      "NothingToWithdraw",
      [getAddress(stranger.account.address)],
    );
  });
});
