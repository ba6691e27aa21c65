/**
 * The example dApp (contracts/examples/ExampleClassifierConsumer.sol) against the real hub: it requests with
 * itself as callback, receives the settled output through `deliver`, decodes the float32 scores on chain and
 * stores the argmax; only the hub may call back, and a failing callback never blocks delivery.
 */
import { encodeTensors, type TensorMap } from "@opg/protocol";
import fc from "fast-check";
import {
  type Abi,
  BaseError,
  bytesToHex,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  type Hex,
  keccak256,
  parseEventLogs,
} from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { ProofMode, RequestStatus } from "../../src/constants.js";
import { connect, deploySystem, LISTING_ID, MODEL_ID, PRICE, type System } from "../helpers/fixture.js";
import { proofFor } from "../helpers/protocol.js";

const conn = await connect();

const LABELS = ["cat", "dog", "bird", "fish"];
const CALLBACK_GAS = 300_000;
const Status = { None: 0, Pending: 1, Classified: 2, Malformed: 3 } as const;

async function fixture() {
  const s = await deploySystem(conn);
  const consumer = await s.viem.deployContract("ExampleClassifierConsumer", [
    s.hub.address,
    LISTING_ID,
    ProofMode.NONE,
    "logits",
    LABELS,
    CALLBACK_GAS,
  ]);
  return { s, consumer };
}

type Consumer = Awaited<ReturnType<typeof fixture>>["consumer"];

/** Canonical encoding of float32 scores named `logits` (plus other tensors, to exercise the walk). */
function scores(values: readonly number[], extra: TensorMap = {}): Hex {
  return bytesToHex(
    encodeTensors({
      ...extra,
      logits: { dtype: "float32", dims: [1, values.length], data: new Float32Array(values) },
    }),
  );
}

const f32bits = (v: number): number => new DataView(new Float32Array([v]).buffer).getUint32(0, true);

/** Reference argmax over float32 bit patterns: NaN skipped, +0 above -0, first maximum wins. */
function referenceArgmax(values: Float32Array): { ok: boolean; index: number; bits: number } {
  let best = -1;
  const key = (bits: number) => (bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) continue;
    if (best < 0 || key(f32bits(values[i]!)) > key(f32bits(values[best]!))) best = i;
  }
  return best < 0
    ? { ok: false, index: 0, bits: 0 }
    : { ok: true, index: best, bits: f32bits(values[best]!) };
}

/** The custom error a call reverted with, decoded with the dApp's and the hub's ABIs. */
async function revertName(promise: Promise<unknown>, abi: Abi): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const reverted =
      error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (!(reverted instanceof ContractFunctionRevertedError) || reverted.raw === undefined) throw error;
    return decodeErrorResult({ abi, data: reverted.raw }).errorName;
  }
  return undefined;
}

describe("ExampleClassifierConsumer", () => {
  let s: System;
  let consumer: Consumer;
  let now: bigint;
  let errors: Abi;
  beforeEach(async () => {
    ({ s, consumer } = await conn.networkHelpers.loadFixture(fixture));
    now = BigInt(await conn.networkHelpers.time.latest());
    errors = [...consumer.abi, ...s.hub.abi];
  });

  /** A user classifies through the dApp; returns the hub's request id and record. */
  async function classify(input: Hex = scores([1, 2, 3]), value = PRICE) {
    const user = s.wallets[17]!;
    const hash = await consumer.write.classify([input, 0n, now + 3_600n], { account: user.account, value });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "InferenceRequested" });
    if (!event) throw new Error("no InferenceRequested");
    return { user, requestId: event.args.requestId, request: event.args.request, receipt };
  }

  /** Settles `output` as the result of a request and returns the `deliver` arguments. */
  async function settle(
    requestId: Hex,
    request: Awaited<ReturnType<typeof classify>>["request"],
    output: Hex,
  ) {
    const result = s.resultFor(requestId, request, output);
    const { tree, header } = await s.settle([result]);
    return [requestId, request, output, result.executor, header.batchId, proofFor(tree, result)] as const;
  }

  async function deliver(args: Awaited<ReturnType<typeof settle>>) {
    const hash = await s.hub.write.deliver([...args]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [delivered] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
    return { receipt, callbackSuccess: delivered?.args.callbackSuccess };
  }

  it("default: classify requests inference with the dApp as callback and escrows the fee", async () => {
    const input = scores([0.5, 3, 1]);
    const { user, requestId, request, receipt } = await classify(input);
    expect(request).toEqual({
      requester: getAddress(consumer.address),
      modelId: MODEL_ID,
      listingId: LISTING_ID,
      inputHash: keccak256(input),
      mode: ProofMode.NONE,
      callback: getAddress(consumer.address),
      callbackGasLimit: CALLBACK_GAS,
      callbackGasPrice: 0n,
      deadline: now + 3_600n,
      fee: PRICE,
    });
    expect(await s.hub.read.requestStatus([requestId])).toBe(RequestStatus.PENDING);
    expect(await consumer.read.classifications([requestId])).toEqual([
      getAddress(user.account.address),
      Status.Pending,
      0,
      0,
      `0x${"00".repeat(32)}`,
    ]);
    const [event] = parseEventLogs({
      abi: consumer.abi,
      logs: receipt.logs,
      eventName: "ClassificationRequested",
    });
    expect(event?.args).toEqual({ requestId, requester: getAddress(user.account.address) });
  });

  it("default: the settled output is delivered and the argmax stored with its label", async () => {
    const { user, requestId, request } = await classify();
    const output = scores([0.1, 2.5, -1, 2.4], {
      // Sorted before "logits": the decoder must skip it.
      aux: { dtype: "int64", dims: [2], data: new BigInt64Array([7n, -7n]) },
    });
    const { receipt, callbackSuccess } = await deliver(await settle(requestId, request, output));
    expect(callbackSuccess).toBe(true);
    expect(await consumer.read.classifications([requestId])).toEqual([
      getAddress(user.account.address),
      Status.Classified,
      1,
      f32bits(2.5),
      keccak256(output),
    ]);
    expect(await consumer.read.labelOf([requestId])).toBe("dog");
    const [event] = parseEventLogs({ abi: consumer.abi, logs: receipt.logs, eventName: "Classified" });
    expect(event?.args).toEqual({
      requestId,
      requester: getAddress(user.account.address),
      classIndex: 1n,
      scoreBits: f32bits(2.5),
      outputHash: keccak256(output),
    });
  });

  it("behavior: the on-chain argmax matches a reference over arbitrary float32 scores", async () => {
    const special = [
      [-3, -1, -2],
      [-0, 0],
      [0, -0],
      [Number.NaN, -5],
      [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 1e38],
      [2, 2, 1],
      [1.401298464324817e-45, 0],
    ];
    for (const values of special) {
      const expected = referenceArgmax(new Float32Array(values));
      expect(await consumer.read.argmax([scores(values)]), JSON.stringify(values)).toEqual([
        expected.ok,
        BigInt(expected.index),
        expected.bits,
      ]);
    }
    await fc.assert(
      fc.asyncProperty(fc.float32Array({ minLength: 1, maxLength: 40 }), async (values) => {
        const expected = referenceArgmax(values);
        const [ok, index, bits] = await consumer.read.argmax([scores(Array.from(values))]);
        expect([ok, Number(index), bits]).toEqual([expected.ok, expected.index, expected.bits]);
      }),
      { numRuns: 40 },
    );
  });

  it("behavior: malformed outputs decode to ok = false, never a revert", async () => {
    const good = scores([1, 2]);
    const cases: Hex[] = [
      "0x",
      "0x02",
      `0x02${good.slice(4)}`, // wrong version
      good.slice(0, good.length - 2) as Hex, // truncated data
      bytesToHex(encodeTensors({ other: { dtype: "float32", dims: [2], data: new Float32Array([1, 2]) } })),
      bytesToHex(encodeTensors({ logits: { dtype: "int32", dims: [2], data: new Int32Array([1, 2]) } })),
      bytesToHex(encodeTensors({ logits: { dtype: "float32", dims: [0], data: new Float32Array([]) } })),
      bytesToHex(encodeTensors({ logits: { dtype: "float32", dims: [1025], data: new Float32Array(1025) } })),
      scores([Number.NaN, Number.NaN]),
    ];
    for (const output of cases) {
      expect((await consumer.read.argmax([output]))[0], output.slice(0, 40)).toBe(false);
    }
  });

  it("behavior: a malformed output is recorded as Malformed and delivery succeeds", async () => {
    const { requestId, request } = await classify();
    const output = bytesToHex(
      encodeTensors({ probs: { dtype: "float32", dims: [1], data: new Float32Array([1]) } }),
    );
    const { receipt, callbackSuccess } = await deliver(await settle(requestId, request, output));
    expect(callbackSuccess).toBe(true);
    expect((await consumer.read.classifications([requestId]))[1]).toBe(Status.Malformed);
    expect(await consumer.read.labelOf([requestId])).toBe("");
    const [event] = parseEventLogs({
      abi: consumer.abi,
      logs: receipt.logs,
      eventName: "ClassificationMalformed",
    });
    expect(event?.args).toEqual({ requestId, outputHash: keccak256(output) });
  });

  it("behavior: 1024 scores decode within the callback gas limit", async () => {
    const values = Array.from({ length: 1024 }, (_, i) => Math.sin(i));
    const { requestId, request } = await classify();
    const { callbackSuccess } = await deliver(await settle(requestId, request, scores(values)));
    expect(callbackSuccess).toBe(true);
    const expected = referenceArgmax(new Float32Array(values));
    expect((await consumer.read.classifications([requestId])).slice(1, 3)).toEqual([
      Status.Classified,
      expected.index,
    ]);
  });

  it("error: only the hub may call back", async () => {
    const { requestId } = await classify();
    for (const caller of [s.wallets[0]!, s.wallets[17]!]) {
      expect(
        await revertName(
          consumer.write.onInferenceResult([requestId, scores([1])], { account: caller.account }),
          errors,
        ),
      ).toBe("NotHub");
    }
    expect((await consumer.read.classifications([requestId]))[1]).toBe(Status.Pending);
  });

  it("behavior: a callback for a request the dApp did not make reverts, and the hub still delivers", async () => {
    // Someone requests directly at the hub, naming the dApp as callback.
    const hash = await s.hub.write.requestInference(
      [LISTING_ID, scores([1]), ProofMode.NONE, consumer.address, CALLBACK_GAS, 0n, now + 3_600n],
      { value: PRICE, account: s.wallets[16]!.account },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "InferenceRequested" });
    const { requestId, request } = event!.args;
    const args = await settle(requestId, request, scores([4, 5]));
    const { callbackSuccess } = await deliver(args);
    expect(callbackSuccess).toBe(false);
    expect(await s.hub.read.requestStatus([requestId])).toBe(RequestStatus.DELIVERED);
    expect(await s.hub.read.balanceOf([args[3]])).toBe(PRICE - PRICE / 10n);
    expect((await consumer.read.classifications([requestId]))[1]).toBe(Status.None);
  });

  it("behavior: the owner withdraws the refund of an expired request", async () => {
    const { requestId, request } = await classify();
    // Refundable once the hub's delivery grace period (1 hour) after the deadline is over.
    await conn.networkHelpers.time.increaseTo(request.deadline + 3_601n);
    await s.hub.write.refund([requestId, request], { account: s.wallets[15]!.account });
    expect(await s.hub.read.balanceOf([consumer.address])).toBe(PRICE);

    const to = s.wallets[14]!.account.address;
    expect(
      await revertName(consumer.write.withdrawRefunds([to], { account: s.wallets[17]!.account }), errors),
    ).toBe("NotOwner");
    const before = await s.publicClient.getBalance({ address: to });
    await consumer.write.withdrawRefunds([to]);
    expect(await s.publicClient.getBalance({ address: to })).toBe(before + PRICE);
    expect(await s.hub.read.balanceOf([consumer.address])).toBe(0n);
  });

  it("error: the hub's request rules apply to classify (fee below the model's price)", async () => {
    expect(
      await revertName(
        consumer.write.classify([scores([1]), 0n, now + 3_600n], { value: PRICE - 1n }),
        errors,
      ),
    ).toBe("FeeTooLow");
  });

  it("default: configuration reads", async () => {
    expect(await consumer.read.labels()).toEqual(LABELS);
    expect(await consumer.read.outputName()).toBe("logits");
    expect(await consumer.read.hub()).toBe(getAddress(s.hub.address));
    expect(await consumer.read.listingId()).toBe(LISTING_ID);
    expect(await consumer.read.owner()).toBe(getAddress(s.wallets[0]!.account.address));
  });
});
