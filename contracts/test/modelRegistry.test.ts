import { getAddress, type Hex, keccak256, parseEventLogs, toHex, zeroAddress, zeroHash } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { modeMask, ProofMode } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  connect,
  deploySystem,
  MODEL_ID,
  PCR_HASH,
  type System,
  WEIGHTS_COMMITMENT,
} from "./helpers/fixture.js";

const conn = await connect();
const fixture = async function modelRegistryFixture() {
  return deploySystem(conn);
};

const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

describe("ModelRegistry", () => {
  let s: System;
  let owner: System["wallets"][number];
  const id = keccak256(toHex("new-model"));
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
    owner = s.wallets[10]!;
  });

  const registration = (
    overrides: Partial<Parameters<System["models"]["write"]["registerModel"]>[0][0]> = {},
  ) => ({
    modelId: id,
    metadataURI: "ipfs://new",
    modes: modeMask(ProofMode.NONE, ProofMode.TEE),
    price: 5n,
    weightsCommitment: zeroHash,
    zkVerifier: zeroAddress,
    measurements: [] as Hex[],
    ...overrides,
  });

  it("default: registers a model with its settings; the caller owns it", async () => {
    const hash = await s.models.write.registerModel([registration({ measurements: [PCR_HASH] })], {
      account: owner.account,
    });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const events = parseEventLogs({ abi: s.models.abi, logs: receipt.logs });
    expect(events.map((e) => e.eventName)).toEqual(["ModelRegistered", "MeasurementAdded"]);
    expect(await s.models.read.getModel([id])).toEqual({
      owner: getAddress(owner.account.address),
      modes: 0b101,
      price: 5n,
      zkVerifier: zeroAddress,
      weightsCommitment: zeroHash,
      metadataURI: "ipfs://new",
    });
    expect(await s.models.read.requestTerms([id])).toEqual([0b101, 5n]);
    expect(await s.models.read.supportsMode([id, 0])).toBe(true);
    expect(await s.models.read.supportsMode([id, 1])).toBe(false);
    expect(await s.models.read.supportsMode([id, 2])).toBe(true);
    expect(await s.models.read.supportsMode([id, 3])).toBe(false);
    expect(await s.models.read.isMeasurementAllowed([id, PCR_HASH])).toBe(true);
    expect(await s.models.read.measurements([id])).toEqual([PCR_HASH]);
    expect(await s.models.read.requestTerms([keccak256("0x00")])).toEqual([0, 0n]);
  });

  it("default: ZK config at registration, or later once, then ZK can be enabled", async () => {
    await s.models.write.registerModel([registration()], { account: owner.account });
    await expectRevert(s.models.write.setModes([id, 0b011], { account: owner.account }), "ZkConfigMissing", [
      id,
    ]);
    await s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address], {
      account: owner.account,
    });
    await s.models.write.setModes([id, 0b011], { account: owner.account });
    expect(await s.models.read.zkConfig([id])).toEqual([
      WEIGHTS_COMMITMENT,
      getAddress(s.zkVerifier.address),
    ]);
    await expectRevert(
      s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address], { account: owner.account }),
      "ZkConfigAlreadySet",
      [id],
    );
    const fixtureModel = await s.models.read.getModel([MODEL_ID]);
    expect(fixtureModel.zkVerifier).toBe(getAddress(s.zkVerifier.address));
  });

  it("default: the owner updates price, URI, modes, measurements and ownership", async () => {
    await s.models.write.registerModel([registration()], { account: owner.account });
    const as = { account: owner.account };
    await s.models.write.setPrice([id, 99n], as);
    await s.models.write.setMetadataURI([id, "ipfs://v2"], as);
    await s.models.write.setModes([id, 0], as);
    await s.models.write.addMeasurement([id, PCR_HASH], as);
    await s.models.write.removeMeasurement([id, PCR_HASH], as);
    const m = await s.models.read.getModel([id]);
    expect([m.price, m.metadataURI, m.modes]).toEqual([99n, "ipfs://v2", 0]);
    expect(await s.models.read.measurements([id])).toEqual([]);
    const next = s.wallets[11]!;
    await s.models.write.transferModelOwnership([id, next.account.address], as);
    expect((await s.models.read.getModel([id])).owner).toBe(getAddress(next.account.address));
    await expectRevert(s.models.write.setPrice([id, 1n], as), "NotModelOwner", [
      id,
      getAddress(owner.account.address),
    ]);
  });

  it("error: registration checks", async () => {
    const w = (r: ReturnType<typeof registration>) =>
      s.models.write.registerModel([r], { account: owner.account });
    await expectRevert(w(registration({ modelId: zeroHash })), "ZeroModelId");
    await expectRevert(w(registration({ modelId: MODEL_ID })), "ModelAlreadyRegistered", [MODEL_ID]);
    await expectRevert(w(registration({ modes: 8 })), "InvalidModes", [8]);
    await expectRevert(w(registration({ price: 2n ** 88n })), "PriceTooHigh", [2n ** 88n]);
    await expectRevert(w(registration({ modes: 0b010 })), "ZkConfigMissing", [id]);
    await expectRevert(
      w(registration({ weightsCommitment: WEIGHTS_COMMITMENT, zkVerifier: owner.account.address })),
      "InvalidZkVerifier",
      [getAddress(owner.account.address)],
    );
    for (const bad of [zeroHash, toHex(BN254_R, { size: 32 })]) {
      await expectRevert(
        w(registration({ weightsCommitment: bad, zkVerifier: s.zkVerifier.address })),
        "InvalidWeightsCommitment",
        [bad],
      );
    }
    await expectRevert(w(registration({ measurements: [zeroHash] })), "InvalidMeasurement", [zeroHash]);
    await expectRevert(w(registration({ measurements: [PCR_HASH, PCR_HASH] })), "InvalidMeasurement", [
      PCR_HASH,
    ]);
    const many = Array.from({ length: 33 }, (_, i) => keccak256(toHex(i)));
    await expectRevert(w(registration({ measurements: many })), "TooManyMeasurements", [id]);
  });

  it("error: owner-only functions on unknown models and by strangers", async () => {
    const unknown = keccak256(toHex("unknown"));
    await expectRevert(s.models.write.setPrice([unknown, 1n]), "ModelNotFound", [unknown]);
    const stranger = s.wallets[12]!;
    const as = { account: stranger.account };
    const args = [MODEL_ID, getAddress(stranger.account.address)];
    await expectRevert(s.models.write.setModes([MODEL_ID, 1], as), "NotModelOwner", args);
    await expectRevert(s.models.write.setMetadataURI([MODEL_ID, "x"], as), "NotModelOwner", args);
    await expectRevert(
      s.models.write.transferModelOwnership([MODEL_ID, stranger.account.address], as),
      "NotModelOwner",
      args,
    );
    await expectRevert(
      s.models.write.setZkConfig([MODEL_ID, WEIGHTS_COMMITMENT, s.zkVerifier.address], as),
      "NotModelOwner",
      args,
    );
    await expectRevert(s.models.write.addMeasurement([MODEL_ID, PCR_HASH], as), "NotModelOwner", args);
    await expectRevert(s.models.write.removeMeasurement([MODEL_ID, PCR_HASH], as), "NotModelOwner", args);
    await expectRevert(s.models.write.transferModelOwnership([MODEL_ID, zeroAddress]), "ZeroAddress");
    await expectRevert(s.models.write.setModes([MODEL_ID, 0x10]), "InvalidModes", [0x10]);
    await expectRevert(s.models.write.setPrice([MODEL_ID, 2n ** 88n]), "PriceTooHigh", [2n ** 88n]);
    await expectRevert(s.models.write.removeMeasurement([MODEL_ID, zeroHash]), "MeasurementNotFound", [
      zeroHash,
    ]);
    await expectRevert(s.models.write.addMeasurement([MODEL_ID, PCR_HASH]), "InvalidMeasurement", [PCR_HASH]);
  });
});
