import { encodeAbiParameters, getAddress, keccak256, parseEther, toHex, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { HUB_LIMITS, RequestStatus } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  connect,
  deploySystem,
  LISTING_ID,
  MODEL_ID,
  NONE_ONLY_LISTING_ID,
  PRICE,
  type System,
  tensorBytes,
} from "./helpers/fixture.js";

const conn = await connect();
const fixture = async function hubRequestFixture() {
  return deploySystem(conn);
};

describe("InferenceHub.requestInference", () => {
  let s: System;
  let now: bigint;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
    now = BigInt(await conn.networkHelpers.time.latest());
  });

  it("default: escrows the fee, commits the record, emits everything an executor needs", async () => {
    const input = tensorBytes("x", 100);
    const before = await s.publicClient.getBalance({ address: s.hub.address });
    const { requestId, request, event } = await s.request({
      input,
      mode: 2,
      callback: s.consumer.address,
      callbackGasLimit: 100_000,
      callbackGasPrice: 7n,
      deadline: now + 600n,
      value: PRICE + 5n + 700_000n,
    });
    expect(requestId).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "uint256" }, { type: "address" }, { type: "uint256" }],
          [BigInt(s.chainId), s.hub.address, 0n],
        ),
      ),
    );
    expect(request).toEqual({
      requester: getAddress(s.requester.account.address),
      modelId: MODEL_ID,
      listingId: LISTING_ID,
      inputHash: keccak256(input),
      mode: 2,
      callback: getAddress(s.consumer.address),
      callbackGasLimit: 100_000,
      callbackGasPrice: 7n,
      deadline: now + 600n,
      fee: PRICE + 5n,
    });
    expect(event.args.input).toBe(input);
    expect(event.args.inputURI).toBe("");
    expect(event.args.modelId).toBe(MODEL_ID);
    expect(event.args.requester).toBe(getAddress(s.requester.account.address));
    expect(await s.publicClient.getBalance({ address: s.hub.address })).toBe(before + PRICE + 5n + 700_000n);
    expect(await s.hub.read.requestStatus([requestId])).toBe(RequestStatus.PENDING);
    expect(await s.hub.read.requestCount()).toBe(1n);
    expect(await s.hub.read.requestCommitment([request])).toBe(
      keccak256(
        encodeAbiParameters(
          [
            {
              type: "tuple",
              components: [
                { name: "requester", type: "address" },
                { name: "modelId", type: "bytes32" },
                { name: "listingId", type: "bytes32" },
                { name: "inputHash", type: "bytes32" },
                { name: "mode", type: "uint8" },
                { name: "callback", type: "address" },
                { name: "callbackGasLimit", type: "uint32" },
                { name: "callbackGasPrice", type: "uint64" },
                { name: "deadline", type: "uint64" },
                { name: "fee", type: "uint96" },
              ],
            },
          ],
          [request],
        ),
      ),
    );
  });

  it("behavior: request ids are unique and sequential nonces", async () => {
    const a = await s.request();
    const b = await s.request();
    expect(a.requestId).not.toBe(b.requestId);
    expect(await s.hub.read.requestCount()).toBe(2n);
  });

  it("behavior: a free model accepts zero value; the maximum inline input is accepted", async () => {
    await s.request({ listingId: NONE_ONLY_LISTING_ID, value: 0n });
    await s.request({ input: tensorBytes("max", HUB_LIMITS.maxInlineInputBytes) });
  });

  it("args: requestInferenceByRef carries the hash and URI instead of the input", async () => {
    const inputHash = keccak256(toHex("big input"));
    const hash = await s.hub.write.requestInferenceByRef(
      [LISTING_ID, inputHash, "ipfs://big-input", 1, zeroAddress, 0, 0n, now + 100n],
      { value: PRICE, account: s.requester.account },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = await s.hub.getEvents.InferenceRequested({}, { blockHash: receipt.blockHash });
    expect(event?.args.input).toBe("0x");
    expect(event?.args.inputURI).toBe("ipfs://big-input");
    expect(event?.args.request?.inputHash).toBe(inputHash);
    expect(event?.args.request?.mode).toBe(1);
  });

  it("error: every invalid request reverts", async () => {
    const w = (args: Parameters<typeof s.hub.write.requestInference>[0], value = PRICE) =>
      s.hub.write.requestInference(args, { value, account: s.requester.account });
    const input = tensorBytes("in");
    const d = now + 600n;
    await expectRevert(w([LISTING_ID, "0x", 0, zeroAddress, 0, 0n, d]), "EmptyInput");
    await expectRevert(
      w([LISTING_ID, tensorBytes("big", HUB_LIMITS.maxInlineInputBytes + 1), 0, zeroAddress, 0, 0n, d]),
      "InputTooLarge",
      [BigInt(HUB_LIMITS.maxInlineInputBytes + 1), BigInt(HUB_LIMITS.maxInlineInputBytes)],
    );
    await expectRevert(w([LISTING_ID, input, 3, zeroAddress, 0, 0n, d]), "InvalidMode", [3]);
    const unknown = keccak256(toHex("unknown"));
    await expectRevert(w([unknown, input, 0, zeroAddress, 0, 0n, d]), "ModelNotAvailable", [unknown]);
    await expectRevert(w([NONE_ONLY_LISTING_ID, input, 1, zeroAddress, 0, 0n, d]), "ModeNotSupported", [
      NONE_ONLY_LISTING_ID,
      1,
    ]);
    await expectRevert(w([LISTING_ID, input, 0, zeroAddress, 0, 0n, d], PRICE - 1n), "FeeTooLow", [
      PRICE - 1n,
      PRICE,
    ]);
    // The callback gas escrow comes on top of the price.
    await expectRevert(
      w([LISTING_ID, input, 0, s.consumer.address, 100_000, 10n, d], PRICE + 999_999n),
      "FeeTooLow",
      [PRICE - 1n, PRICE],
    );
    await expectRevert(
      w([LISTING_ID, input, 0, s.consumer.address, 100_000, 10n, d], 999_999n),
      "FeeTooLow",
      [0n, PRICE],
    );
    await expectRevert(w([LISTING_ID, input, 0, zeroAddress, 0, 0n, now]), "InvalidDeadline");
    await expectRevert(
      w([LISTING_ID, input, 0, s.consumer.address, HUB_LIMITS.maxCallbackGasLimit + 1, 0n, d]),
      "CallbackGasLimitTooHigh",
      [HUB_LIMITS.maxCallbackGasLimit + 1, HUB_LIMITS.maxCallbackGasLimit],
    );
    const big = 2n ** 96n;
    await conn.networkHelpers.setBalance(s.requester.account.address, big * 2n);
    await expectRevert(w([LISTING_ID, input, 0, zeroAddress, 0, 0n, d], big), "FeeTooHigh", [big]);
    const r = (a: Parameters<typeof s.hub.write.requestInferenceByRef>[0]) =>
      s.hub.write.requestInferenceByRef(a, { value: PRICE, account: s.requester.account });
    await expectRevert(
      r([LISTING_ID, `0x${"00".repeat(32)}`, "ipfs://x", 0, zeroAddress, 0, 0n, d]),
      "EmptyInput",
    );
    await expectRevert(r([LISTING_ID, keccak256("0x01"), "", 0, zeroAddress, 0, 0n, d]), "MissingInputURI");
  });

  it("error: a disabled model (modes = 0) takes no requests", async () => {
    await s.models.write.setModes([LISTING_ID, 0]);
    await expectRevert(s.request(), "ModelNotAvailable", [LISTING_ID]);
  });

  it("behavior: the price is read at request time", async () => {
    await s.models.write.setPrice([LISTING_ID, parseEther("1")]);
    await expectRevert(s.request({ value: PRICE }), "FeeTooLow", [PRICE, parseEther("1")]);
  });
});
