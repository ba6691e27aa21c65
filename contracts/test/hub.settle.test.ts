import { createWalletClient, custom, getAddress, type Hex, keccak256, toHex, zeroHash } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { expectRevert } from "./helpers/errors.js";
import { account, connect, deploySystem, type System } from "./helpers/fixture.js";
import { type BatchHeader, buildTree, malleate, proofFor, type ResultFields } from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function hubSettleFixture() {
  return deploySystem(conn);
};

function fakeResults(n: number, executor: Hex, salt = "r"): ResultFields[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: keccak256(toHex(`${salt}-req-${i}`)),
    modelId: keccak256(toHex("m")),
    inputHash: keccak256(toHex(`${salt}-in-${i}`)),
    outputHash: keccak256(toHex(`${salt}-out-${i}`)),
    executor,
  }));
}

describe("InferenceHub.settleBatch", () => {
  let s: System;
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
  });

  async function header(root: Hex, count = 1, batchId?: bigint): Promise<BatchHeader> {
    return {
      configDigest: await s.registry.read.configDigest(),
      batchId: batchId ?? (await s.takeBatchId()),
      root,
      count,
    };
  }

  it("default: settles with f + 1 signatures, stores the root, emits BatchSettled", async () => {
    const results = fakeResults(5, s.executorSigners[0]!.address);
    const { tree, header: h, receipt } = await s.settle(results);
    expect(await s.hub.read.batchRoot([h.batchId])).toBe(tree.root);
    expect(await s.hub.read.lastBatchId()).toBe(h.batchId);
    const events = await s.hub.getEvents.BatchSettled({}, { blockHash: receipt.blockHash });
    expect(events[0]?.args).toMatchObject({
      batchId: h.batchId,
      root: tree.root,
      count: 5,
      configDigest: h.configDigest,
    });
    for (const r of results) {
      expect(
        await s.hub.read.verifyResult([
          h.batchId,
          r.requestId,
          r.modelId,
          r.inputHash,
          r.outputHash,
          r.executor,
          proofFor(tree, r),
        ]),
      ).toBe(true);
    }
  });

  it("behavior: accepts any f + 1 subset, in any order, and more than f + 1", async () => {
    const results = fakeResults(2, s.executorSigners[0]!.address);
    await s.settle(results, [3, 1, 2]);
    await s.settle(results, [2, 0, 3, 1]);
  });

  it("behavior: the submitting verifier is the batch's settler; a relayer's submission credits the first signer", async () => {
    const root = buildTree(fakeResults(1, s.executorSigners[0]!.address)).root as Hex;
    // A signer submits: it is the settler.
    const key = s.verifierSigners[2]!;
    await conn.networkHelpers.setBalance(key.address, 10n ** 18n);
    const h1 = await header(root, 1);
    const client = createWalletClient({ account: key, transport: custom(conn.provider) });
    const hash = await client.writeContract({
      address: s.hub.address,
      abi: s.hub.abi,
      functionName: "settleBatch",
      args: [h1, await s.signHeader(h1, [0, 1, 2])],
      chain: null,
    });
    await s.publicClient.waitForTransactionReceipt({ hash });
    expect((await s.hub.read.batchInfo([h1.batchId]))[1]).toBe(getAddress(key.address));
    // Anyone else (a relayer, or a front-runner copying the signatures) earns nothing: the first signer does.
    const h2 = await header(root, 1);
    await s.hub.write.settleBatch([h2, await s.signHeader(h2, [3, 1, 2])], {
      account: s.wallets[18]!.account,
    });
    expect((await s.hub.read.batchInfo([h2.batchId]))[1]).toBe(getAddress(s.verifierSigners[3]!.address));
  });

  it("behavior: sequence numbers are consecutive; the round bits are free; nothing repeats", async () => {
    const root = buildTree(fakeResults(1, s.executorSigners[0]!.address)).root as Hex;
    const settle = async (batchId: bigint) => {
      const h = await header(root, 1, batchId);
      return s.hub.write.settleBatch([h, await s.signHeader(h, [0, 1, 2])]);
    };
    // A quorum cannot jump ahead (which would stop settlement at the top of the id space).
    await expectRevert(settle(10n), "BatchIdNotNext", [10n, 0n]);
    await expectRevert(settle((1n << 64n) - 1n), "BatchIdNotNext", [(1n << 64n) - 1n, 0n]);
    // Sequence 1 in round 3, then sequence 2 in round 0.
    const round3 = (3n << 40n) | 1n;
    await settle(round3);
    expect(await s.hub.read.lastBatchId()).toBe(round3);
    await expectRevert(settle(round3), "BatchIdNotNext", [round3, round3]);
    await expectRevert(settle(1n), "BatchIdNotNext", [1n, round3]);
    await settle(2n);
    await expectRevert(settle(4n), "BatchIdNotNext", [4n, 2n]);
  });

  it("behavior: verifyResult is false for unknown batches, wrong fields and wrong proofs", async () => {
    const results = fakeResults(4, s.executorSigners[0]!.address);
    const { tree, header: h } = await s.settle(results);
    const r = results[0]!;
    const proof = proofFor(tree, r);
    const args = [h.batchId, r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor, proof] as const;
    expect(await s.hub.read.verifyResult([...args])).toBe(true);
    expect(await s.hub.read.verifyResult([h.batchId + 1n, ...args.slice(1)] as never)).toBe(false);
    expect(
      await s.hub.read.verifyResult([
        h.batchId,
        r.requestId,
        r.modelId,
        r.inputHash,
        zeroHash,
        r.executor,
        proof,
      ]),
    ).toBe(false);
    expect(
      await s.hub.read.verifyResult([
        h.batchId,
        r.requestId,
        r.modelId,
        r.inputHash,
        r.outputHash,
        r.executor,
        [],
      ]),
    ).toBe(false);
    const rh = await s.hub.read.resultHash([r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor]);
    expect(await s.hub.read.verifyResultHash([h.batchId, rh, proof])).toBe(true);
    expect(await s.hub.read.verifyResultHash([h.batchId, zeroHash, proof])).toBe(false);
  });

  it("error: fewer than f + 1 signatures", async () => {
    const h = await header(keccak256(toHex("root")));
    await expectRevert(
      s.hub.write.settleBatch([h, await s.signHeader(h, [0, 1])]),
      "InsufficientSignatures",
      [2n, 3n],
    );
    await expectRevert(s.hub.write.settleBatch([h, []]), "InsufficientSignatures", [0n, 3n]);
  });

  it("error: the same verifier twice", async () => {
    const h = await header(keccak256(toHex("root")));
    const [a, b] = await s.signHeader(h, [0, 1]);
    await expectRevert(s.hub.write.settleBatch([h, [a!, b!, a!]]), "DuplicateSigner", [
      s.verifierSigners[0]!.address,
    ]);
  });

  it("error: a signer outside the verifier set (e.g. an executor key)", async () => {
    const h = await header(keccak256(toHex("root")));
    const sigs = await s.signHeader(h, [0, 1]);
    const outsider = await account("outsider").signTypedData({
      domain: { name: "opg", version: "1", chainId: s.chainId, verifyingContract: s.hub.address },
      types: {
        BatchRoot: [
          { name: "configDigest", type: "bytes32" },
          { name: "batchId", type: "uint64" },
          { name: "root", type: "bytes32" },
          { name: "count", type: "uint32" },
        ],
      },
      primaryType: "BatchRoot",
      message: h,
    });
    await expectRevert(s.hub.write.settleBatch([h, [...sigs, outsider]]), "SignerNotInConfig", [
      account("outsider").address,
    ]);
  });

  it("error: signatures over another header (different root) recover to non-members", async () => {
    const h = await header(keccak256(toHex("root")));
    const other = { ...h, root: keccak256(toHex("other")) };
    const sigs = await s.signHeader(other, [0, 1, 2]);
    await expectRevert(s.hub.write.settleBatch([h, sigs]), "SignerNotInConfig");
  });

  it("error: malleable (high-s) and malformed signatures", async () => {
    const h = await header(keccak256(toHex("root")));
    const sigs = await s.signHeader(h, [0, 1, 2]);
    await expectRevert(
      s.hub.write.settleBatch([h, [sigs[0]!, malleate(sigs[1]!), sigs[2]!]]),
      "InvalidSignature",
      [1n],
    );
    await expectRevert(
      s.hub.write.settleBatch([h, [sigs[0]!, sigs[1]!, sigs[2]!.slice(0, 130) as Hex]]),
      "InvalidSignature",
      [2n],
    );
    const badV = `${sigs[0]!.slice(0, 130)}1d` as Hex;
    await expectRevert(s.hub.write.settleBatch([h, [badV, sigs[1]!, sigs[2]!]]), "InvalidSignature", [0n]);
  });

  it("error: a stale config digest (old signatures die with the old set)", async () => {
    const h = await header(keccak256(toHex("root")));
    const sigs = await s.signHeader(h, [0, 1, 2]);
    // Reconfigure with the same members: the digest changes because configCount does.
    await s.registry.write.setVerifierConfig([s.verifierSigners.map((v) => v.address), 2]);
    const current = await s.registry.read.configDigest();
    expect(current).not.toBe(h.configDigest);
    await expectRevert(s.hub.write.settleBatch([h, sigs]), "ConfigDigestMismatch", [h.configDigest, current]);
  });

  it("error: empty root or zero count", async () => {
    const h0 = await header(zeroHash);
    await expectRevert(s.hub.write.settleBatch([h0, await s.signHeader(h0, [0, 1, 2])]), "EmptyBatch");
    const c0 = await header(keccak256(toHex("root")), 0);
    await expectRevert(s.hub.write.settleBatch([c0, await s.signHeader(c0, [0, 1, 2])]), "EmptyBatch");
  });

  it("error: signatures bound to another hub or chain do not verify", async () => {
    const h = await header(keccak256(toHex("root")));
    const { signBatchRoot } = await import("./helpers/protocol.js");
    const otherHub = await Promise.all(
      [0, 1, 2].map((i) => signBatchRoot(s.verifierSigners[i]!, s.chainId, s.registry.address, h)),
    );
    await expectRevert(s.hub.write.settleBatch([h, otherHub]), "SignerNotInConfig");
    const otherChain = await Promise.all(
      [0, 1, 2].map((i) => signBatchRoot(s.verifierSigners[i]!, s.chainId + 1, s.hub.address, h)),
    );
    await expectRevert(s.hub.write.settleBatch([h, otherChain]), "SignerNotInConfig");
  });
});
