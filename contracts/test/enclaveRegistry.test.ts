import {
  type Address,
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  toHex,
  zeroAddress,
  zeroHash,
} from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { beforeEach, describe, expect, it } from "vitest";
import { expectRevert } from "./helpers/errors.js";
import {
  account,
  connect,
  deploySystem,
  key,
  LISTING_ID,
  MODEL_ID,
  NONE_ONLY_LISTING_ID,
  PCR_HASH,
} from "./helpers/fixture.js";
import {
  type EnclaveRegistration,
  eip712Types,
  hubDomain,
  malleate,
  resultHash as resultHashOf,
  signEnclaveRegistration,
} from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function enclaveRegistryFixture() {
  const s = await deploySystem(conn);
  const enclaves = await s.viem.deployContract("EnclaveRegistry", [s.hub.address]);
  return { ...s, enclaves };
};

type Fixture = Awaited<ReturnType<typeof fixture>>;

const ENCLAVE_KEY = key("enclave-0");
const ENCLAVE = privateKeyToAccount(ENCLAVE_KEY).address;
const OTHER_MEASUREMENT = keccak256(toHex("other-image"));
const HOUR = 3_600n;

/** The enclave key's raw signature over a result hash (no prefix), as @opg/attestation's EnclaveKey makes. */
async function enclaveSign(resultHash: Hex, privateKey: Hex = ENCLAVE_KEY): Promise<Hex> {
  return sign({ hash: resultHash, privateKey, to: "hex" });
}

describe("EnclaveRegistry", () => {
  let s: Fixture;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  async function now(): Promise<bigint> {
    return BigInt(await conn.networkHelpers.time.latest());
  }

  async function registration(overrides: Partial<EnclaveRegistration> = {}): Promise<EnclaveRegistration> {
    return {
      enclave: ENCLAVE,
      measurement: PCR_HASH,
      expiresAt: (await now()) + 3n * HOUR,
      configDigest: await s.registry.read.configDigest(),
      ...overrides,
    };
  }

  function signWith(
    r: EnclaveRegistration,
    indices: readonly number[],
    domain: { chainId?: number; hub?: Address } = {},
  ): Promise<Hex[]> {
    return Promise.all(
      indices.map((i) =>
        signEnclaveRegistration(
          s.verifierSigners[i]!,
          domain.chainId ?? s.chainId,
          domain.hub ?? s.hub.address,
          r,
        ),
      ),
    );
  }

  async function register(r: EnclaveRegistration, indices: readonly number[] = [0, 1, 2]) {
    const hash = await s.enclaves.write.registerEnclave([r, await signWith(r, indices)]);
    return s.publicClient.waitForTransactionReceipt({ hash });
  }

  it("default: f + 1 verifier signatures register the key; views and event report it", async () => {
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(false);
    const r = await registration();
    const receipt = await register(r);
    expect(await s.enclaves.read.enclave([ENCLAVE])).toEqual([PCR_HASH, r.expiresAt]);
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(true);
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, OTHER_MEASUREMENT])).toBe(false);
    expect(await s.enclaves.read.isEnclaveAllowed([ENCLAVE, LISTING_ID])).toBe(true);
    expect(await s.enclaves.read.isEnclaveAllowed([ENCLAVE, NONE_ONLY_LISTING_ID])).toBe(false);
    const events = await s.enclaves.getEvents.EnclaveRegistered({}, { blockHash: receipt.blockHash });
    expect(events[0]?.args).toMatchObject({
      enclave: ENCLAVE,
      measurement: PCR_HASH,
      expiresAt: r.expiresAt,
      configDigest: r.configDigest,
      submitter: getAddress(s.admin.account.address),
    });
    expect(receipt.gasUsed).toBeLessThan(150_000n);
  });

  it("default: wired to the hub's registries and domain; digests match the EIP-712 reference", async () => {
    expect(await s.enclaves.read.hub()).toBe(getAddress(s.hub.address));
    expect(await s.enclaves.read.operatorRegistry()).toBe(getAddress(s.registry.address));
    expect(await s.enclaves.read.modelRegistry()).toBe(getAddress(s.models.address));
    expect(await s.enclaves.read.domainSeparator()).toBe(await s.hub.read.domainSeparator());
    const r = await registration();
    expect(await s.enclaves.read.enclaveRegistrationDigest([r])).toBe(
      hashTypedData({
        domain: hubDomain(s.chainId, s.hub.address),
        types: eip712Types,
        primaryType: "EnclaveRegistration",
        message: r,
      }),
    );
  });

  it("behavior: checkEnclaveResult accepts the registered key's signature for an allowed model only", async () => {
    const fields = {
      requestId: keccak256(toHex("request")),
      modelId: MODEL_ID,
      inputHash: keccak256(toHex("input")),
      outputHash: keccak256(toHex("output")),
      executor: s.executorSigners[0]!.address,
    };
    const resultHash = resultHashOf(fields);
    const signature = await enclaveSign(resultHash);
    const check = (listingId: Hex, sig: Hex, f = fields) =>
      s.enclaves.read.checkEnclaveResult([
        listingId,
        f.requestId,
        f.inputHash,
        f.outputHash,
        f.executor,
        sig,
      ]);
    expect(await check(LISTING_ID, signature)).toEqual([false, ENCLAVE]);
    const r = await registration();
    await register(r);
    expect(await check(LISTING_ID, signature)).toEqual([true, ENCLAVE]);
    // Another model (measurement not allowed), another hash, another key, a malleated or short signature.
    expect((await check(NONE_ONLY_LISTING_ID, signature))[0]).toBe(false);
    const other = await check(LISTING_ID, signature, { ...fields, outputHash: keccak256(toHex("x")) });
    expect(other[0]).toBe(false);
    // The hash is the hub's, computed from the fields: an enclave signature over any other 32 bytes (here the
    // raw output hash) proves nothing about a result.
    const raw = await enclaveSign(fields.outputHash);
    expect((await check(LISTING_ID, raw))[0]).toBe(false);
    const stranger = await enclaveSign(resultHash, key("stranger"));
    expect((await check(LISTING_ID, stranger))[0]).toBe(false);
    expect(await check(LISTING_ID, malleate(signature))).toEqual([false, zeroAddress]);
    expect(await check(LISTING_ID, signature.slice(0, 130) as Hex)).toEqual([false, zeroAddress]);
    // Removing the measurement from the model revokes it; so does expiry.
    await s.models.write.removeMeasurement([LISTING_ID, PCR_HASH]);
    expect((await check(LISTING_ID, signature))[0]).toBe(false);
    await s.models.write.addMeasurement([LISTING_ID, PCR_HASH]);
    expect((await check(LISTING_ID, signature))[0]).toBe(true);
    await conn.networkHelpers.time.increaseTo(r.expiresAt);
    expect((await check(LISTING_ID, signature))[0]).toBe(false);
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(false);
  });

  it("behavior: a later expiry extends the registration; the same or an earlier one is refused", async () => {
    const first = await registration();
    await register(first);
    await expectRevert(
      s.enclaves.write.registerEnclave([first, await signWith(first, [0, 1, 2])]),
      "RegistrationNotNewer",
      [ENCLAVE, first.expiresAt, first.expiresAt],
    );
    const earlier = { ...first, expiresAt: first.expiresAt - 1n };
    await expectRevert(
      s.enclaves.write.registerEnclave([earlier, await signWith(earlier, [0, 1, 2])]),
      "RegistrationNotNewer",
    );
    const later = { ...first, expiresAt: first.expiresAt + HOUR };
    await register(later, [3, 2, 1]);
    expect(await s.enclaves.read.enclave([ENCLAVE])).toEqual([PCR_HASH, later.expiresAt]);
  });

  it("behavior: an unexpired key keeps its measurement; after expiry it may be registered with another", async () => {
    const first = await registration();
    await register(first);
    const other = await registration({ measurement: OTHER_MEASUREMENT, expiresAt: first.expiresAt + HOUR });
    await expectRevert(
      s.enclaves.write.registerEnclave([other, await signWith(other, [0, 1, 2])]),
      "MeasurementMismatch",
      [ENCLAVE, PCR_HASH, OTHER_MEASUREMENT],
    );
    await conn.networkHelpers.time.increaseTo(first.expiresAt);
    const fresh = await registration({ measurement: OTHER_MEASUREMENT });
    await register(fresh);
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, OTHER_MEASUREMENT])).toBe(true);
    expect(await s.enclaves.read.isEnclaveAllowed([ENCLAVE, LISTING_ID])).toBe(false);
  });

  it("error: fewer than f + 1, duplicate, non-member and malformed signatures", async () => {
    const r = await registration();
    const sigs = await signWith(r, [0, 1, 2, 3]);
    await expectRevert(s.enclaves.write.registerEnclave([r, sigs.slice(0, 2)]), "InsufficientSignatures", [
      2n,
      3n,
    ]);
    await expectRevert(
      s.enclaves.write.registerEnclave([r, [sigs[0]!, sigs[1]!, sigs[0]!]]),
      "DuplicateSigner",
      [s.verifierSigners[0]!.address],
    );
    const outsider = account("outsider");
    const outsiderSig = await signEnclaveRegistration(outsider, s.chainId, s.hub.address, r);
    await expectRevert(
      s.enclaves.write.registerEnclave([r, [sigs[0]!, sigs[1]!, outsiderSig]]),
      "SignerNotInConfig",
      [outsider.address],
    );
    await expectRevert(
      s.enclaves.write.registerEnclave([r, [sigs[0]!, malleate(sigs[1]!), sigs[2]!]]),
      "InvalidSignature",
      [1n],
    );
    await expectRevert(
      s.enclaves.write.registerEnclave([r, [sigs[0]!, sigs[1]!, "0x1234"]]),
      "InvalidSignature",
      [2n],
    );
    // Signatures over other fields recover to strangers.
    const tampered = { ...r, expiresAt: r.expiresAt + 1n };
    await expectRevert(s.enclaves.write.registerEnclave([tampered, sigs.slice(0, 3)]), "SignerNotInConfig");
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(false);
  });

  it("error: signatures of another verifier set (config change) cannot be replayed", async () => {
    const r = await registration();
    const sigs = await signWith(r, [0, 1, 2]);
    // The admin reconfigures the set (same members, f = 1): a new configCount, a new digest.
    await s.registry.write.setVerifierConfig([s.verifierSigners.map((v) => v.address), 1]);
    const digest = await s.registry.read.configDigest();
    await expectRevert(s.enclaves.write.registerEnclave([r, sigs]), "ConfigDigestMismatch", [
      r.configDigest,
      digest,
    ]);
    // Re-signed for the new set it goes through (f + 1 = 2 now).
    await register({ ...r, configDigest: digest }, [1, 3]);
  });

  it("error: signatures made for another chain or another deployment's hub do not count", async () => {
    const r = await registration();
    const otherChain = await signWith(r, [0, 1, 2], { chainId: 1 });
    await expectRevert(s.enclaves.write.registerEnclave([r, otherChain]), "SignerNotInConfig");
    const otherHub = await signWith(r, [0, 1, 2], { hub: s.models.address });
    await expectRevert(s.enclaves.write.registerEnclave([r, otherHub]), "SignerNotInConfig");
    // A second deployment (its own hub) on the same registries: this one's signatures do not work there.
    const hub2 = await s.viem.deployContract("InferenceHub", [s.registry.address, s.models.address]);
    const enclaves2 = await s.viem.deployContract("EnclaveRegistry", [hub2.address]);
    await expectRevert(
      enclaves2.write.registerEnclave([r, await signWith(r, [0, 1, 2])]),
      "SignerNotInConfig",
    );
    await enclaves2.write.registerEnclave([r, await signWith(r, [0, 1, 2], { hub: hub2.address })]);
    expect(await enclaves2.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(true);
    expect(await s.enclaves.read.isEnclaveValid([ENCLAVE, PCR_HASH])).toBe(false);
  });

  it("error: expiry in the past, now, or beyond MAX_TTL; zero enclave or measurement", async () => {
    const maxTtl = await s.enclaves.read.MAX_TTL();
    expect(maxTtl).toBe(86_400n);
    const t = await now();
    for (const expiresAt of [t - 1n, t + 1n]) {
      // The next block is mined at t + 1: an expiry of t + 1 is not in the future any more.
      const r = await registration({ expiresAt });
      await expectRevert(
        s.enclaves.write.registerEnclave([r, await signWith(r, [0, 1, 2])]),
        "InvalidExpiry",
      );
    }
    const far = await registration({ expiresAt: t + maxTtl + 100n });
    await expectRevert(
      s.enclaves.write.registerEnclave([far, await signWith(far, [0, 1, 2])]),
      "InvalidExpiry",
    );
    const zeroKey = await registration({ enclave: zeroAddress });
    await expectRevert(
      s.enclaves.write.registerEnclave([zeroKey, await signWith(zeroKey, [0, 1, 2])]),
      "ZeroEnclave",
    );
    const zeroMeasurement = await registration({ measurement: zeroHash });
    await expectRevert(
      s.enclaves.write.registerEnclave([zeroMeasurement, await signWith(zeroMeasurement, [0, 1, 2])]),
      "ZeroMeasurement",
    );
    expect(await s.enclaves.read.isEnclaveValid([zeroAddress, zeroHash])).toBe(false);
  });

  it("error: a registration replayed after it expired is refused", async () => {
    const r = await registration({ expiresAt: (await now()) + HOUR });
    const sigs = await signWith(r, [0, 1, 2]);
    await s.enclaves.write.registerEnclave([r, sigs]);
    await conn.networkHelpers.time.increaseTo(r.expiresAt + 1n);
    await expectRevert(s.enclaves.write.registerEnclave([r, sigs]), "InvalidExpiry");
  });

  it("error: the constructor refuses a zero hub", async () => {
    await expect(s.viem.deployContract("EnclaveRegistry", [zeroAddress])).rejects.toThrow();
  });
});
