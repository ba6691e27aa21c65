import { getAddress, type Hex, keccak256, parseEventLogs, toHex, zeroAddress, zeroHash } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { listingIdOf, modeMask, ProofMode } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  connect,
  deploySystem,
  LISTING_ID,
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
  const modelId = keccak256(toHex("new-model"));
  let id: Hex;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
    owner = s.wallets[10]!;
    id = listingIdOf(modelId, owner.account.address);
  });

  const registration = (
    overrides: Partial<Parameters<System["models"]["write"]["createListing"]>[0][0]> = {},
  ) => ({
    modelId,
    metadataURI: "ipfs://new",
    modes: modeMask(ProofMode.NONE, ProofMode.TEE),
    price: 5n,
    weightsCommitment: zeroHash,
    zkVerifier: zeroAddress,
    vkHash: zeroHash,
    measurements: [] as Hex[],
    ...overrides,
  });

  it("default: creates a listing with its settings; the caller owns it; its id is listingIdOf", async () => {
    const hash = await s.models.write.createListing([registration({ measurements: [PCR_HASH] })], {
      account: owner.account,
    });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const events = parseEventLogs({ abi: s.models.abi, logs: receipt.logs });
    expect(events.map((e) => e.eventName)).toEqual(["ListingCreated", "MeasurementAdded"]);
    expect((events[0]!.args as { listingId: Hex }).listingId).toBe(id);
    expect(await s.models.read.listingIdOf([modelId, owner.account.address, 0n])).toBe(id);
    expect(await s.models.read.latestListing([modelId, owner.account.address])).toBe(id);
    expect(await s.models.read.listingCount([modelId, owner.account.address])).toBe(1n);
    expect(await s.models.read.getListing([id])).toEqual({
      modelId,
      owner: getAddress(owner.account.address),
      modes: 0b101,
      price: 5n,
      zkVerifier: zeroAddress,
      zkVerifierCodeHash: zeroHash,
      weightsCommitment: zeroHash,
      vkHash: zeroHash,
      zkKeySealed: false,
      transcriptHash: zeroHash,
      metadataURI: "ipfs://new",
    });
    expect(await s.models.read.requestTerms([id])).toEqual([modelId, 0b101, 5n]);
    expect(await s.models.read.supportsMode([id, 0])).toBe(true);
    expect(await s.models.read.supportsMode([id, 1])).toBe(false);
    expect(await s.models.read.supportsMode([id, 2])).toBe(true);
    expect(await s.models.read.supportsMode([id, 3])).toBe(false);
    expect(await s.models.read.isMeasurementAllowed([id, PCR_HASH])).toBe(true);
    expect(await s.models.read.measurements([id])).toEqual([PCR_HASH]);
    expect(await s.models.read.requestTerms([keccak256("0x00")])).toEqual([zeroHash, 0, 0n]);
    expect(await s.models.read.latestListing([modelId, s.wallets[11]!.account.address])).toBe(zeroHash);
  });

  it("behavior: several publishers list one file; a publisher's second listing gets a new id", async () => {
    const other = s.wallets[11]!;
    await s.models.write.createListing([registration()], { account: owner.account });
    await s.models.write.createListing([registration({ price: 1n })], { account: other.account });
    await s.models.write.createListing([registration({ price: 2n })], { account: owner.account });
    const second = listingIdOf(modelId, owner.account.address, 1n);
    const theirs = listingIdOf(modelId, other.account.address);
    expect(new Set([id, second, theirs]).size).toBe(3);
    expect(await s.models.read.requestTerms([theirs])).toEqual([modelId, 0b101, 1n]);
    expect(await s.models.read.requestTerms([second])).toEqual([modelId, 0b101, 2n]);
    expect(await s.models.read.latestListing([modelId, owner.account.address])).toBe(second);
    // Listing the fixture's model takes nothing from the fixture's listing.
    await s.models.write.createListing([registration({ modelId: MODEL_ID, price: 0n })], {
      account: owner.account,
    });
    expect((await s.models.read.getListing([LISTING_ID])).owner).toBe(getAddress(s.admin.account.address));
  });

  it("default: ZK config at creation, or later once (code hash pinned, key hash checked), then ZK can be enabled", async () => {
    await s.models.write.createListing([registration()], { account: owner.account });
    await expectRevert(s.models.write.setModes([id, 0b011], { account: owner.account }), "ZkConfigMissing", [
      id,
    ]);
    const vkHash = await s.zkVerifier.read.verificationKeyHash();
    await expectRevert(
      s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address, keccak256("0x01")], {
        account: owner.account,
      }),
      "VerificationKeyMismatch",
      [keccak256("0x01"), vkHash],
    );
    await s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address, vkHash], {
      account: owner.account,
    });
    await s.models.write.setModes([id, 0b011], { account: owner.account });
    const l = await s.models.read.getListing([id]);
    expect([l.weightsCommitment, l.zkVerifier, l.vkHash, l.zkKeySealed]).toEqual([
      WEIGHTS_COMMITMENT,
      getAddress(s.zkVerifier.address),
      vkHash,
      false,
    ]);
    expect(l.zkVerifierCodeHash).toBe(
      keccak256((await s.publicClient.getCode({ address: s.zkVerifier.address }))!),
    );
    // Unsealed: settleWithProof gets no verifier.
    expect(await s.models.read.zkSettlementConfig([id])).toEqual([modelId, WEIGHTS_COMMITMENT, zeroAddress]);
    await expectRevert(
      s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address, vkHash], {
        account: owner.account,
      }),
      "ZkConfigAlreadySet",
      [id],
    );
    await s.sealZkKey(id);
    expect(await s.models.read.zkSettlementConfig([id])).toEqual([
      modelId,
      WEIGHTS_COMMITMENT,
      getAddress(s.zkVerifier.address),
    ]);
    expect((await s.models.read.getListing([id])).zkKeySealed).toBe(true);
  });

  it("error: sealing needs f + 1 current verifiers over the listing's own key, once", async () => {
    await s.models.write.createListing([registration()], { account: owner.account });
    // No key yet: nothing to seal.
    const none = await s.signZkKeySeal(id);
    await expectRevert(s.models.write.sealZkKey([none.seal, none.signatures]), "InvalidSeal", [id]);
    const vkHash = await s.zkVerifier.read.verificationKeyHash();
    await s.models.write.setZkConfig([id, WEIGHTS_COMMITMENT, s.zkVerifier.address, vkHash], {
      account: owner.account,
    });
    const few = await s.signZkKeySeal(id, undefined, [0, 1]);
    await expectRevert(s.models.write.sealZkKey([few.seal, few.signatures]), "InsufficientSignatures", [
      2n,
      3n,
    ]);
    const dup = await s.signZkKeySeal(id, undefined, [0, 1, 1]);
    await expectRevert(s.models.write.sealZkKey([dup.seal, dup.signatures]), "DuplicateSigner");
    const ok = await s.signZkKeySeal(id);
    await expectRevert(
      s.models.write.sealZkKey([{ ...ok.seal, transcriptHash: zeroHash }, ok.signatures]),
      "InvalidSeal",
      [id],
    );
    // Signatures over another transcript do not carry over.
    await expectRevert(
      s.models.write.sealZkKey([{ ...ok.seal, transcriptHash: keccak256("0x02") }, ok.signatures]),
      "SignerNotInConfig",
    );
    await s.models.write.sealZkKey([ok.seal, ok.signatures]);
    await expectRevert(s.models.write.sealZkKey([ok.seal, ok.signatures]), "InvalidSeal", [id]);
  });

  it("default: the owner updates price, URI, modes, measurements and ownership", async () => {
    await s.models.write.createListing([registration()], { account: owner.account });
    const as = { account: owner.account };
    await s.models.write.setPrice([id, 99n], as);
    await s.models.write.setMetadataURI([id, "ipfs://v2"], as);
    await s.models.write.setModes([id, 0], as);
    await s.models.write.addMeasurement([id, PCR_HASH], as);
    await s.models.write.removeMeasurement([id, PCR_HASH], as);
    const m = await s.models.read.getListing([id]);
    expect([m.price, m.metadataURI, m.modes]).toEqual([99n, "ipfs://v2", 0]);
    expect(await s.models.read.measurements([id])).toEqual([]);
    const next = s.wallets[11]!;
    await s.models.write.transferListingOwnership([id, next.account.address], as);
    expect((await s.models.read.getListing([id])).owner).toBe(getAddress(next.account.address));
    await expectRevert(s.models.write.setPrice([id, 1n], as), "NotListingOwner", [
      id,
      getAddress(owner.account.address),
    ]);
  });

  it("error: creation checks", async () => {
    const w = (r: ReturnType<typeof registration>) =>
      s.models.write.createListing([r], { account: owner.account });
    const vkHash = await s.zkVerifier.read.verificationKeyHash();
    await expectRevert(w(registration({ modelId: zeroHash })), "ZeroModelId");
    await expectRevert(w(registration({ modes: 8 })), "InvalidModes", [8]);
    await expectRevert(w(registration({ price: 2n ** 88n })), "PriceTooHigh", [2n ** 88n]);
    await expectRevert(w(registration({ modes: 0b010 })), "ZkConfigMissing", [id]);
    await expectRevert(
      w(registration({ weightsCommitment: WEIGHTS_COMMITMENT, zkVerifier: owner.account.address, vkHash })),
      "InvalidZkVerifier",
      [getAddress(owner.account.address)],
    );
    for (const bad of [zeroHash, toHex(BN254_R, { size: 32 })]) {
      await expectRevert(
        w(registration({ weightsCommitment: bad, zkVerifier: s.zkVerifier.address, vkHash })),
        "InvalidWeightsCommitment",
        [bad],
      );
    }
    await expectRevert(
      w(registration({ weightsCommitment: WEIGHTS_COMMITMENT, zkVerifier: s.zkVerifier.address })),
      "VerificationKeyMismatch",
      [zeroHash, vkHash],
    );
    await expectRevert(w(registration({ measurements: [zeroHash] })), "InvalidMeasurement", [zeroHash]);
    await expectRevert(w(registration({ measurements: [PCR_HASH, PCR_HASH] })), "InvalidMeasurement", [
      PCR_HASH,
    ]);
    const many = Array.from({ length: 33 }, (_, i) => keccak256(toHex(i)));
    await expectRevert(w(registration({ measurements: many })), "TooManyMeasurements", [id]);
  });

  it("error: owner-only functions on unknown listings and by strangers", async () => {
    const unknown = keccak256(toHex("unknown"));
    await expectRevert(s.models.write.setPrice([unknown, 1n]), "ListingNotFound", [unknown]);
    const stranger = s.wallets[12]!;
    const as = { account: stranger.account };
    const args = [LISTING_ID, getAddress(stranger.account.address)];
    await expectRevert(s.models.write.setModes([LISTING_ID, 1], as), "NotListingOwner", args);
    await expectRevert(s.models.write.setMetadataURI([LISTING_ID, "x"], as), "NotListingOwner", args);
    await expectRevert(
      s.models.write.transferListingOwnership([LISTING_ID, stranger.account.address], as),
      "NotListingOwner",
      args,
    );
    await expectRevert(
      s.models.write.setZkConfig([LISTING_ID, WEIGHTS_COMMITMENT, s.zkVerifier.address, zeroHash], as),
      "NotListingOwner",
      args,
    );
    await expectRevert(s.models.write.addMeasurement([LISTING_ID, PCR_HASH], as), "NotListingOwner", args);
    await expectRevert(s.models.write.removeMeasurement([LISTING_ID, PCR_HASH], as), "NotListingOwner", args);
    await expectRevert(s.models.write.transferListingOwnership([LISTING_ID, zeroAddress]), "ZeroAddress");
    await expectRevert(s.models.write.setModes([LISTING_ID, 0x10]), "InvalidModes", [0x10]);
    await expectRevert(s.models.write.setPrice([LISTING_ID, 2n ** 88n]), "PriceTooHigh", [2n ** 88n]);
    await expectRevert(s.models.write.removeMeasurement([LISTING_ID, zeroHash]), "MeasurementNotFound", [
      zeroHash,
    ]);
    await expectRevert(s.models.write.addMeasurement([LISTING_ID, PCR_HASH]), "InvalidMeasurement", [
      PCR_HASH,
    ]);
  });
});
