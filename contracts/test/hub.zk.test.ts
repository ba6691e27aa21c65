import { encodeAbiParameters, getAddress, type Hex, keccak256, parseEventLogs, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { listingIdOf, RequestStatus } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  connect,
  deploySystem,
  LISTING_ID,
  MODEL_ID,
  PRICE,
  type System,
  tensorBytes,
  WEIGHTS_COMMITMENT,
  ZK_MAGIC,
} from "./helpers/fixture.js";

const conn = await connect();
const fixture = async function hubZkFixture() {
  return deploySystem(conn);
};

const proofOf = (value: bigint): Hex => encodeAbiParameters([{ type: "uint256" }], [value]);

describe("InferenceHub.settleWithProof", () => {
  let s: System;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  async function zkRequest(opts: Parameters<System["request"]>[0] = {}) {
    const input = tensorBytes("zk-input");
    const req = await s.request({ mode: 1, input, ...opts });
    const output = tensorBytes(`zk-out-${req.requestId}`);
    const executor = s.executorSigners[0]!.address;
    // The verifier only accepts the values the hub must bind.
    await s.zkVerifier.write.expect([
      req.request.modelId,
      WEIGHTS_COMMITMENT,
      keccak256(input),
      keccak256(output),
      executor,
    ]);
    return { ...req, input, output, executor };
  }

  it("default: a valid proof delivers without a batch (batchId 0), pays the executor, calls back", async () => {
    const z = await zkRequest({ callback: s.consumer.address, callbackGasLimit: 300_000 });
    const hash = await s.hub.write.settleWithProof(
      [z.requestId, z.request, z.input, z.output, z.executor, proofOf(ZK_MAGIC)],
      {
        account: s.wallets[16]!.account,
      },
    );
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: s.hub.abi, logs: receipt.logs, eventName: "ResultDelivered" });
    expect(event?.args).toEqual({
      requestId: z.requestId,
      executor: getAddress(z.executor),
      batchId: 0n,
      outputHash: keccak256(z.output),
      callbackSuccess: true,
    });
    expect(await s.hub.read.requestStatus([z.requestId])).toBe(RequestStatus.DELIVERED);
    expect(await s.hub.read.balanceOf([z.executor])).toBe(PRICE);
    expect(await s.consumer.read.lastOutput()).toBe(z.output);
    await expectRevert(
      s.hub.write.settleWithProof([z.requestId, z.request, z.input, z.output, z.executor, proofOf(ZK_MAGIC)]),
      "AlreadyDelivered",
      [z.requestId],
    );
  });

  it("error: the verifier rejects the proof, or the proof is bound to other values", async () => {
    const z = await zkRequest();
    const attempt = (output: Hex, executor: Hex, proof: Hex) =>
      s.hub.write.settleWithProof([z.requestId, z.request, z.input, output, executor, proof]);
    await expectRevert(attempt(z.output, z.executor, proofOf(ZK_MAGIC + 1n)), "InvalidZkProof");
    // Another executor cannot claim the fee with a proof bound to the first one.
    await expectRevert(attempt(z.output, s.executorSigners[1]!.address, proofOf(ZK_MAGIC)), "InvalidZkProof");
    await expectRevert(attempt(tensorBytes("other"), z.executor, proofOf(ZK_MAGIC)), "InvalidZkProof");
    await s.zkVerifier.write.setReverts([true]);
    await expectRevert(attempt(z.output, z.executor, proofOf(ZK_MAGIC)), "InvalidZkProof");
    expect(await s.hub.read.requestStatus([z.requestId])).toBe(RequestStatus.PENDING);
  });

  it("error: wrong input, non-ZK request, zero executor, expired request", async () => {
    const z = await zkRequest();
    await expectRevert(
      s.hub.write.settleWithProof([
        z.requestId,
        z.request,
        tensorBytes("not the input"),
        z.output,
        z.executor,
        proofOf(ZK_MAGIC),
      ]),
      "InputMismatch",
      [z.requestId],
    );
    await expectRevert(
      s.hub.write.settleWithProof([
        z.requestId,
        z.request,
        z.input,
        z.output,
        zeroAddress,
        proofOf(ZK_MAGIC),
      ]),
      "ZeroAddress",
    );
    const plain = await s.request({ mode: 0, input: z.input });
    await expectRevert(
      s.hub.write.settleWithProof([
        plain.requestId,
        plain.request,
        z.input,
        z.output,
        z.executor,
        proofOf(ZK_MAGIC),
      ]),
      "NotZkRequest",
      [plain.requestId],
    );
    await conn.networkHelpers.time.increaseTo(z.request.deadline + 1n);
    await expectRevert(
      s.hub.write.settleWithProof([z.requestId, z.request, z.input, z.output, z.executor, proofOf(ZK_MAGIC)]),
      "RequestExpired",
      [z.requestId, z.request.deadline],
    );
  });

  it("error: a listing whose key is not sealed by f + 1 verifiers cannot settle (setup forgery)", async () => {
    // A publisher ran the setup alone (it knows the toxic waste): its adapter accepts whatever it likes.
    const forged = await s.viem.deployContract("MockZkVerifier", [7n]);
    const publisher = s.wallets[15]!;
    const vkHash = await forged.read.verificationKeyHash();
    await s.models.write.createListing(
      [
        {
          modelId: MODEL_ID,
          metadataURI: "ipfs://solo-setup",
          modes: 0b010,
          price: 0n,
          weightsCommitment: WEIGHTS_COMMITMENT,
          zkVerifier: forged.address,
          vkHash,
          measurements: [],
        },
      ],
      { account: publisher.account },
    );
    const listingId = listingIdOf(MODEL_ID, publisher.account.address);
    const z = await zkRequest({ listingId, value: 0n });
    const settle = () =>
      s.hub.write.settleWithProof([z.requestId, z.request, z.input, z.output, z.executor, proofOf(7n)]);
    await expectRevert(settle(), "ZkKeyNotSealed", [listingId]);
    // f signatures are not a quorum; nor are f + 1 over another key.
    const few = await s.signZkKeySeal(listingId, undefined, [0, 1]);
    await expectRevert(s.models.write.sealZkKey([few.seal, few.signatures]), "InsufficientSignatures", [
      2n,
      3n,
    ]);
    const other = await s.signZkKeySeal(listingId);
    await expectRevert(
      s.models.write.sealZkKey([{ ...other.seal, vkHash: keccak256("0x01") }, other.signatures]),
      "InvalidSeal",
      [listingId],
    );
    await expectRevert(settle(), "ZkKeyNotSealed", [listingId]);
    // Sealed by f + 1 verifiers (who would only sign a ceremony they contributed to), the listing settles.
    await s.sealZkKey(listingId);
    await settle();
    expect(await s.hub.read.requestStatus([z.requestId])).toBe(RequestStatus.DELIVERED);
  });

  it("behavior: squatting the modelId with an always-true verifier leaves the genuine listing's requests unaffected", async () => {
    const attacker = s.wallets[15]!;
    // The attacker lists the same file with its own verifier, measurements and price, and even gets it sealed.
    const squat = await s.viem.deployContract("MockZkVerifier", [1n], { account: attacker.account });
    await s.models.write.createListing(
      [
        {
          modelId: MODEL_ID,
          metadataURI: "ipfs://squat",
          modes: 0b111,
          price: 0n,
          weightsCommitment: WEIGHTS_COMMITMENT,
          zkVerifier: squat.address,
          vkHash: await squat.read.verificationKeyHash(),
          measurements: [keccak256("0xbad0")],
        },
      ],
      { account: attacker.account },
    );
    const squatListing = listingIdOf(MODEL_ID, attacker.account.address);
    expect(squatListing).not.toBe(LISTING_ID);
    await s.sealZkKey(squatListing);
    // The victim's request names the genuine listing (0.5 ETH fee).
    const z = await zkRequest({ value: 5n * 10n ** 17n });
    expect(z.request.listingId).toBe(LISTING_ID);
    // Garbage output with the squatter's proof, paid to an unstaked address: the genuine verifier refuses it.
    const unstaked = attacker.account.address;
    await expectRevert(
      s.hub.write.settleWithProof([z.requestId, z.request, z.input, "0xdead", unstaked, proofOf(1n)], {
        account: attacker.account,
      }),
      "InvalidZkProof",
    );
    // Nor can the request be re-pointed to the squatter's listing (the record is committed).
    await expectRevert(
      s.hub.write.settleWithProof([
        z.requestId,
        { ...z.request, listingId: squatListing },
        z.input,
        "0xdead",
        unstaked,
        proofOf(1n),
      ]),
      "RequestMismatch",
      [z.requestId],
    );
    // The attacker cannot touch the genuine listing.
    await expectRevert(
      s.models.write.setZkConfig([LISTING_ID, WEIGHTS_COMMITMENT, squat.address, keccak256("0x01")], {
        account: attacker.account,
      }),
      "NotListingOwner",
      [LISTING_ID, getAddress(attacker.account.address)],
    );
    expect(await s.models.read.isMeasurementAllowed([LISTING_ID, keccak256("0xbad0")])).toBe(false);
    // The genuine listing's owner and its executor are served as before.
    await s.hub.write.settleWithProof([
      z.requestId,
      z.request,
      z.input,
      z.output,
      z.executor,
      proofOf(ZK_MAGIC),
    ]);
    expect(await s.hub.read.requestStatus([z.requestId])).toBe(RequestStatus.DELIVERED);
    expect(await s.hub.read.balanceOf([z.executor])).toBe(5n * 10n ** 17n);
    expect(await s.hub.read.balanceOf([unstaked])).toBe(0n);
  });
});

describe("KeccakGroth16Adapter and Groth16 (snarkjs verifier calls)", () => {
  const groth16Proof = (a0: bigint): Hex =>
    encodeAbiParameters(
      [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }],
      [
        [a0, 1n],
        [
          [2n, 3n],
          [4n, 5n],
        ],
        [6n, 7n],
      ],
    );

  it("default: maps the bound values to 6 public signals and calls verifyProof(…, uint256[6])", async () => {
    const s = await conn.networkHelpers.loadFixture(fixture);
    const snark = await s.viem.deployContract("MockGroth16Verifier", [6n, 99n]);
    const adapter = await s.viem.deployContract("KeccakGroth16Adapter", [snark.address, keccak256("0x5e")]);
    const input = tensorBytes("in");
    const output = tensorBytes("out");
    const executor = s.executorSigners[0]!.address;
    const mask = (1n << 128n) - 1n;
    const ih = BigInt(keccak256(input));
    const oh = BigInt(keccak256(output));
    const expected = [
      BigInt(WEIGHTS_COMMITMENT),
      ih >> 128n,
      ih & mask,
      oh >> 128n,
      oh & mask,
      BigInt(executor),
    ];
    expect(
      await adapter.read.publicSignals([WEIGHTS_COMMITMENT, keccak256(input), keccak256(output), executor]),
    ).toEqual(expected);
    await snark.write.expect([expected]);
    const verify = (out: Hex, who: Hex, proof: Hex) =>
      adapter.read.verifyResult([keccak256("0x01"), WEIGHTS_COMMITMENT, input, out, who, proof]);
    expect(await verify(output, executor, groth16Proof(99n))).toBe(true);
    expect(await verify(output, executor, groth16Proof(98n))).toBe(false);
    expect(await verify(tensorBytes("x"), executor, groth16Proof(99n))).toBe(false);
    expect(await verify(output, s.executorSigners[1]!.address, groth16Proof(99n))).toBe(false);
    expect(await verify(output, executor, groth16Proof(99n).slice(0, -2) as Hex)).toBe(false);
  });

  it("behavior: end to end through the hub with a real adapter in front of a snarkjs-shaped verifier", async () => {
    const s = await conn.networkHelpers.loadFixture(fixture);
    const snark = await s.viem.deployContract("MockGroth16Verifier", [6n, 99n]);
    const vkHash = keccak256("0x5e");
    const adapter = await s.viem.deployContract("KeccakGroth16Adapter", [snark.address, vkHash]);
    const modelId = keccak256("0xabcdef");
    await s.models.write.createListing([
      {
        modelId,
        metadataURI: "ipfs://zk",
        modes: 0b010,
        price: 0n,
        weightsCommitment: WEIGHTS_COMMITMENT,
        zkVerifier: adapter.address,
        vkHash,
        measurements: [],
      },
    ]);
    const listingId = listingIdOf(modelId, s.admin.account.address);
    await s.sealZkKey(listingId);
    const input = tensorBytes("zk-in");
    const { requestId, request } = await s.request({ listingId, mode: 1, input, value: 1n });
    const output = tensorBytes("zk-out");
    await s.hub.write.settleWithProof([
      requestId,
      request,
      input,
      output,
      s.executorSigners[0]!.address,
      groth16Proof(99n),
    ]);
    expect(await s.hub.read.requestStatus([requestId])).toBe(RequestStatus.DELIVERED);
  });

  it("behavior: a verifier with another number of public signals is called with its own selector", async () => {
    const s = await conn.networkHelpers.loadFixture(fixture);
    const snark3 = await s.viem.deployContract("MockGroth16Verifier", [3n, 5n]);
    const snark6 = await s.viem.deployContract("MockGroth16Verifier", [6n, 5n]);
    // A 6-signal adapter in front of a 3-signal verifier: the selector does not match, so the call fails closed.
    const wrong = await s.viem.deployContract("KeccakGroth16Adapter", [snark3.address, keccak256("0x03")]);
    const right = await s.viem.deployContract("KeccakGroth16Adapter", [snark6.address, keccak256("0x06")]);
    const args = [
      keccak256("0x01"),
      WEIGHTS_COMMITMENT,
      "0x01",
      "0x02",
      s.executorSigners[0]!.address,
      groth16Proof(5n),
    ] as const;
    expect(await wrong.read.verifyResult([...args])).toBe(false);
    expect(await right.read.verifyResult([...args])).toBe(true);
  });
});
