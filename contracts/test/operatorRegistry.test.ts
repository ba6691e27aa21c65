import { getAddress, type Hex, keccak256, parseEventLogs, toHex, zeroAddress } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { OperatorRole, OperatorStatus } from "../src/constants.js";
import { signSignerBinding } from "../src/signerBinding.js";
import { expectRevert } from "./helpers/errors.js";
import { account, connect, deploySystem, REGISTRY_PARAMS, type System } from "./helpers/fixture.js";
import { configDigest, type ExecutionResultMessage, signExecutionResult } from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function registryFixture() {
  return deploySystem(conn);
};

describe("OperatorRegistry", () => {
  let s: System;
  let owner: System["wallets"][number];
  beforeEach(async () => {
    s = await conn.networkHelpers.loadFixture(fixture);
    owner = s.wallets[10]!;
  });

  const bind = (signerLabel: string, operator: Hex, role: 1 | 2) =>
    signSignerBinding(account(signerLabel), {
      chainId: s.chainId,
      operatorRegistry: s.registry.address,
      operator,
      role,
    });

  async function registerExecutor(label = "new-executor", who = owner) {
    const sig = await bind(label, who.account.address, OperatorRole.EXECUTOR);
    return s.registry.write.register([OperatorRole.EXECUTOR, account(label).address, sig], {
      account: who.account,
      value: REGISTRY_PARAMS.minExecutorStake,
    });
  }

  describe("register", () => {
    it("default: stakes, binds the key, activates", async () => {
      const hash = await registerExecutor();
      const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
      const [event] = parseEventLogs({
        abi: s.registry.abi,
        logs: receipt.logs,
        eventName: "OperatorRegistered",
      });
      const signer = account("new-executor").address;
      expect(event?.args).toEqual({
        owner: getAddress(owner.account.address),
        signer,
        role: OperatorRole.EXECUTOR,
        stake: REGISTRY_PARAMS.minExecutorStake,
      });
      expect(await s.registry.read.getOperator([owner.account.address])).toEqual({
        signer,
        role: OperatorRole.EXECUTOR,
        status: OperatorStatus.ACTIVE,
        unbondAt: 0n,
        stake: REGISTRY_PARAMS.minExecutorStake,
      });
      expect(await s.registry.read.ownerOfSigner([signer])).toBe(getAddress(owner.account.address));
      expect(await s.registry.read.isActiveExecutor([signer])).toBe(true);
      expect(await s.registry.read.isActiveVerifier([signer])).toBe(false);
      expect(await s.registry.read.signerBindingDigest([owner.account.address, signer, 1])).toMatch(/^0x/);
    });

    it("behavior: the owner's own key can be the signer", async () => {
      const sig = await owner.signTypedData({
        account: owner.account,
        domain: { name: "opg", version: "1", chainId: s.chainId, verifyingContract: s.registry.address },
        types: {
          SignerBinding: [
            { name: "operator", type: "address" },
            { name: "signer", type: "address" },
            { name: "role", type: "uint8" },
          ],
        },
        primaryType: "SignerBinding",
        message: { operator: owner.account.address, signer: owner.account.address, role: 2 },
      });
      await s.registry.write.register([2, owner.account.address, sig], {
        account: owner.account,
        value: REGISTRY_PARAMS.minVerifierStake,
      });
      expect(await s.registry.read.isActiveVerifier([owner.account.address])).toBe(true);
    });

    it("error: invalid role, double registration, low stake, zero signer", async () => {
      const sig = await bind("k", owner.account.address, 1);
      const signer = account("k").address;
      for (const role of [0, 3]) {
        await expectRevert(
          s.registry.write.register([role, signer, sig], { account: owner.account, value: 10n ** 18n }),
          "InvalidRole",
          [role],
        );
      }
      await expectRevert(
        s.registry.write.register([1, signer, sig], {
          account: owner.account,
          value: REGISTRY_PARAMS.minExecutorStake - 1n,
        }),
        "InsufficientStake",
        [REGISTRY_PARAMS.minExecutorStake - 1n, REGISTRY_PARAMS.minExecutorStake],
      );
      await expectRevert(
        s.registry.write.register([1, zeroAddress, sig], { account: owner.account, value: 10n ** 18n }),
        "ZeroAddress",
      );
      await registerExecutor("k");
      await expectRevert(registerExecutor("k2"), "AlreadyRegistered", [getAddress(owner.account.address)]);
    });

    it("error: the proof of possession must be by the key, for this operator and role", async () => {
      const signer = account("k").address;
      const byOther = await signSignerBinding(account("other"), {
        chainId: s.chainId,
        operatorRegistry: s.registry.address,
        operator: owner.account.address,
        role: 1,
      });
      const forOtherOperator = await bind("k", s.wallets[11]!.account.address, 1);
      const forOtherRole = await bind("k", owner.account.address, 2);
      const otherRegistry = await signSignerBinding(account("k"), {
        chainId: s.chainId,
        operatorRegistry: s.hub.address,
        operator: owner.account.address,
        role: 1,
      });
      for (const sig of [byOther, forOtherOperator, forOtherRole, otherRegistry, "0x" as Hex]) {
        await expectRevert(
          s.registry.write.register([1, signer, sig], { account: owner.account, value: 10n ** 18n }),
          "InvalidSignerProof",
          [signer],
        );
      }
    });

    it("error: a key bound to another owner cannot be taken over", async () => {
      const taken = s.executorSigners[0]!.address;
      const sig = await signSignerBinding(s.executorSigners[0]!, {
        chainId: s.chainId,
        operatorRegistry: s.registry.address,
        operator: owner.account.address,
        role: 1,
      });
      await expectRevert(
        s.registry.write.register([1, taken, sig], { account: owner.account, value: 10n ** 18n }),
        "SignerAlreadyBound",
        [taken, getAddress(s.executorOwners[0]!.account.address)],
      );
    });
  });

  describe("stake, rotation, unbonding", () => {
    it("default: addStake increases the stake", async () => {
      const o = s.executorOwners[0]!;
      await s.registry.write.addStake({ account: o.account, value: 5n });
      expect((await s.registry.read.getOperator([o.account.address])).stake).toBe(
        REGISTRY_PARAMS.minExecutorStake + 5n,
      );
      await expectRevert(s.registry.write.addStake({ account: o.account, value: 0n }), "ZeroAmount");
      await expectRevert(s.registry.write.addStake({ account: owner.account, value: 1n }), "NotActive", [
        getAddress(owner.account.address),
      ]);
    });

    it("default: a verifier rotating its key stays in the set at the same index; the digest changes", async () => {
      const o = s.verifierOwners[2]!;
      const before = await s.registry.read.verifierConfig();
      const sig = await bind("rotated", o.account.address, 2);
      await s.registry.write.rotateSigner([account("rotated").address, sig], { account: o.account });
      const [digest, count, f, signers] = await s.registry.read.verifierConfig();
      expect(count).toBe(before[1] + 1n);
      expect(f).toBe(2);
      expect(signers[2]).toBe(account("rotated").address);
      expect(digest).toBe(configDigest(s.chainId, s.registry.address, count, signers, f));
      expect(await s.registry.read.isActiveVerifier([s.verifierSigners[2]!.address])).toBe(false);
      expect(
        (await s.registry.read.getSignerInfo([s.verifierSigners[2]!.address])).retiredAt,
      ).toBeGreaterThan(0n);
      expect(await s.registry.read.verifierIndex([account("rotated").address])).toEqual([true, 2n]);
      expect(await s.registry.read.verifierIndex([s.verifierSigners[2]!.address])).toEqual([false, 0n]);
      await expectRevert(
        s.registry.write.rotateSigner([account("rotated").address, sig], { account: o.account }),
        "SameSigner",
        [account("rotated").address],
      );
      await expectRevert(
        s.registry.write.rotateSigner([account("rotated").address, sig], { account: owner.account }),
        "NotActive",
        [getAddress(owner.account.address)],
      );
    });

    it("behavior: a retired key stays slashable for the challenge window only", async () => {
      const o = s.executorOwners[0]!;
      const old = s.executorSigners[0]!;
      await s.registry.write.rotateSigner(
        [account("fresh").address, await bind("fresh", o.account.address, 1)],
        {
          account: o.account,
        },
      );
      const a: ExecutionResultMessage = {
        requestId: keccak256(toHex("r")),
        modelId: keccak256(toHex("m")),
        inputHash: keccak256(toHex("i")),
        outputHash: keccak256(toHex("a")),
        mode: 0,
      };
      const b = { ...a, outputHash: keccak256(toHex("b")) };
      const evidence = [
        a,
        await signExecutionResult(old, s.chainId, s.hub.address, a),
        b,
        await signExecutionResult(old, s.chainId, s.hub.address, b),
      ] as const;
      const snapshot = await conn.networkHelpers.takeSnapshot();
      await conn.networkHelpers.time.increase(Number(REGISTRY_PARAMS.challengeWindow) - 10);
      await s.hub.write.challengeExecutorEquivocation([...evidence]);
      expect((await s.registry.read.getOperator([o.account.address])).stake).toBe(0n);
      expect(await s.registry.read.isActiveExecutor([account("fresh").address])).toBe(false);
      await snapshot.restore();
      await conn.networkHelpers.time.increase(Number(REGISTRY_PARAMS.challengeWindow) + 10);
      await expectRevert(s.hub.write.challengeExecutorEquivocation([...evidence]), "SignerNotSlashable", [
        old.address,
      ]);
    });

    it("default: unbonding removes a verifier from the set; stake comes back after the delay", async () => {
      const o = s.verifierOwners[0]!;
      await s.registry.write.requestUnbond({ account: o.account });
      const op = await s.registry.read.getOperator([o.account.address]);
      expect(op.status).toBe(OperatorStatus.UNBONDING);
      const [, , , signers] = await s.registry.read.verifierConfig();
      expect(signers).toEqual([1, 2, 3].map((i) => s.verifierSigners[i]!.address));
      await expectRevert(s.registry.write.requestUnbond({ account: o.account }), "NotActive");
      await expectRevert(s.registry.write.withdrawStake({ account: o.account }), "UnbondingNotFinished", [
        op.unbondAt,
      ]);
      // Still slashable while unbonding.
      expect(await s.registry.read.unbondingDelay()).toBeGreaterThan(await s.registry.read.challengeWindow());
      await conn.networkHelpers.time.increaseTo(op.unbondAt);
      const before = await s.publicClient.getBalance({ address: o.account.address });
      const hash = await s.registry.write.withdrawStake({ account: o.account });
      const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
      const gas = receipt.gasUsed * receipt.effectiveGasPrice;
      expect(await s.publicClient.getBalance({ address: o.account.address })).toBe(
        before + REGISTRY_PARAMS.minVerifierStake - gas,
      );
      expect((await s.registry.read.getOperator([o.account.address])).status).toBe(OperatorStatus.NONE);
      await expectRevert(s.registry.write.withdrawStake({ account: o.account }), "NotUnbonding");
      // The same owner may come back with the same key.
      await s.registry.write.register(
        [
          2,
          s.verifierSigners[0]!.address,
          await signSignerBinding(s.verifierSigners[0]!, {
            chainId: s.chainId,
            operatorRegistry: s.registry.address,
            operator: o.account.address,
            role: 2,
          }),
        ],
        { account: o.account, value: REGISTRY_PARAMS.minVerifierStake },
      );
      expect(await s.registry.read.isActiveVerifier([s.verifierSigners[0]!.address])).toBe(true);
    });

    it("error: nothing to slash once the stake is withdrawn (retired key inside the window)", async () => {
      const o = s.executorOwners[1]!;
      await s.registry.write.requestUnbond({ account: o.account });
      const op = await s.registry.read.getOperator([o.account.address]);
      await conn.networkHelpers.time.increaseTo(op.unbondAt);
      await s.registry.write.withdrawStake({ account: o.account });
      const key = s.executorSigners[1]!;
      const a: ExecutionResultMessage = {
        requestId: keccak256(toHex("r")),
        modelId: keccak256(toHex("m")),
        inputHash: keccak256(toHex("i")),
        outputHash: keccak256(toHex("a")),
        mode: 0,
      };
      const b = { ...a, outputHash: keccak256(toHex("b")) };
      await expectRevert(
        s.hub.write.challengeExecutorEquivocation([
          a,
          await signExecutionResult(key, s.chainId, s.hub.address, a),
          b,
          await signExecutionResult(key, s.chainId, s.hub.address, b),
        ]),
        "NothingToSlash",
        [key.address],
      );
    });

    it("error: a burned key can never be bound again", async () => {
      const key = s.executorSigners[0]!;
      const a: ExecutionResultMessage = {
        requestId: keccak256(toHex("r")),
        modelId: keccak256(toHex("m")),
        inputHash: keccak256(toHex("i")),
        outputHash: keccak256(toHex("a")),
        mode: 0,
      };
      const b = { ...a, outputHash: keccak256(toHex("b")) };
      await s.hub.write.challengeExecutorEquivocation([
        a,
        await signExecutionResult(key, s.chainId, s.hub.address, a),
        b,
        await signExecutionResult(key, s.chainId, s.hub.address, b),
      ]);
      const o = s.executorOwners[0]!;
      const sig = await signSignerBinding(key, {
        chainId: s.chainId,
        operatorRegistry: s.registry.address,
        operator: o.account.address,
        role: 1,
      });
      await expectRevert(
        s.registry.write.register([1, key.address, sig], { account: o.account, value: 10n ** 18n }),
        "SignerIsBurned",
        [key.address],
      );
    });
  });

  describe("verifier configuration", () => {
    it("default: the config digest follows the protocol formula", async () => {
      const [digest, count, f, signers] = await s.registry.read.verifierConfig();
      expect(count).toBe(1n);
      expect(digest).toBe(configDigest(s.chainId, s.registry.address, count, signers, f));
      expect(await s.registry.read.computeConfigDigest([count, signers, f])).toBe(digest);
      for (const [i, v] of s.verifierSigners.entries()) {
        expect(await s.registry.read.verifierIndex([v.address])).toEqual([true, BigInt(i)]);
      }
    });

    it("behavior: raising the minimum verifier stake drops under-staked members; they no longer count to a quorum", async () => {
      for (const i of [0, 1, 2]) {
        await s.registry.write.addStake({ account: s.verifierOwners[i]!.account, value: 1n });
      }
      const [before] = await s.registry.read.verifierConfig();
      await s.registry.write.setMinStakes([
        REGISTRY_PARAMS.minExecutorStake,
        REGISTRY_PARAMS.minVerifierStake + 1n,
      ]);
      const [digest, count, f, signers] = await s.registry.read.verifierConfig();
      expect(digest).not.toBe(before);
      expect(count).toBe(2n);
      expect(f).toBe(2);
      expect(signers).toEqual([0, 1, 2].map((i) => getAddress(s.verifierSigners[i]!.address)));
      expect(await s.registry.read.verifierIndex([s.verifierSigners[3]!.address])).toEqual([false, 0n]);
      const header = {
        configDigest: digest,
        batchId: await s.takeBatchId(),
        root: keccak256(toHex("root")),
        count: 1,
      };
      await expectRevert(
        s.hub.write.settleBatch([header, await s.signHeader(header, [0, 1, 3])]),
        "SignerNotInConfig",
        [getAddress(s.verifierSigners[3]!.address)],
      );
      await s.hub.write.settleBatch([header, await s.signHeader(header, [0, 1, 2])]);
      // Lowering it again changes nothing (members are re-added by governance only).
      await s.registry.write.setMinStakes([
        REGISTRY_PARAMS.minExecutorStake,
        REGISTRY_PARAMS.minVerifierStake,
      ]);
      expect((await s.registry.read.verifierConfig())[0]).toBe(digest);
    });

    it("error: malformed sets and non-verifier members", async () => {
      const v = s.verifierSigners.map((x) => x.address);
      await expectRevert(s.registry.write.setVerifierConfig([[], 0]), "InvalidVerifierConfig", [0n, 0]);
      await expectRevert(s.registry.write.setVerifierConfig([v, 4]), "InvalidVerifierConfig", [4n, 4]);
      await expectRevert(
        s.registry.write.setVerifierConfig([Array.from({ length: 65 }, () => v[0]!), 1]),
        "InvalidVerifierConfig",
        [65n, 1],
      );
      await expectRevert(s.registry.write.setVerifierConfig([[v[0]!, v[1]!, v[0]!], 1]), "DuplicateSigner", [
        v[0],
      ]);
      await expectRevert(
        s.registry.write.setVerifierConfig([[v[0]!, s.executorSigners[0]!.address], 1]),
        "NotAnActiveVerifier",
        [s.executorSigners[0]!.address],
      );
      await s.registry.write.setMinStakes([0n, REGISTRY_PARAMS.minVerifierStake + 1n]);
      await expectRevert(s.registry.write.setVerifierConfig([[v[0]!], 0]), "NotAnActiveVerifier", [v[0]]);
    });

    it("error: only the owner configures; only the hub slashes; the hub is set once", async () => {
      const stranger = s.wallets[12]!;
      await expectRevert(
        s.registry.write.setVerifierConfig([[s.verifierSigners[0]!.address], 0], {
          account: stranger.account,
        }),
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
      await expectRevert(
        s.registry.write.slash([s.executorSigners[0]!.address, stranger.account.address], {
          account: stranger.account,
        }),
        "OnlyHub",
        [getAddress(stranger.account.address)],
      );
      await expectRevert(s.registry.write.setHub([stranger.account.address]), "HubAlreadySet", [
        getAddress(s.hub.address),
      ]);
    });

    it("error: settlement before any configuration", async () => {
      const registry = await s.viem.deployContract("OperatorRegistry", [
        s.admin.account.address,
        { ...REGISTRY_PARAMS, treasury: s.treasury },
      ]);
      await expectRevert(registry.write.setHub([zeroAddress]), "ZeroAddress");
      const hub = await s.viem.deployContract("InferenceHub", [registry.address, s.models.address]);
      await registry.write.setHub([hub.address]);
      const header = {
        configDigest: `0x${"00".repeat(32)}` as Hex,
        batchId: 1n,
        root: keccak256("0x01"),
        count: 1,
      };
      await expectRevert(hub.write.settleBatch([header, []]), "NoVerifierConfig");
      await expectRevert(
        s.viem.deployContract("InferenceHub", [zeroAddress, s.models.address]),
        "ZeroAddress",
      );
    });
  });

  describe("parameters and claims", () => {
    it("default: parameters can be changed by the owner within bounds", async () => {
      await s.registry.write.setDelays([10n, 11n]);
      expect(await s.registry.read.challengeWindow()).toBe(10n);
      await expectRevert(s.registry.write.setDelays([10n, 10n]), "InvalidDelays", [10n, 10n]);
      await s.registry.write.setSlashingParams([s.wallets[3]!.account.address, 1_000]);
      expect(await s.registry.read.challengerShareBps()).toBe(1_000);
      // The challenger's reward is a bounty: at most MAX_CHALLENGER_SHARE_BPS (10 %), so self-reporting never pays.
      expect(await s.registry.read.MAX_CHALLENGER_SHARE_BPS()).toBe(1_000);
      await expectRevert(s.registry.write.setSlashingParams([s.treasury, 1_001]), "InvalidShare", [1_001]);
      await expectRevert(s.registry.write.setSlashingParams([zeroAddress, 1]), "ZeroAddress");
      await s.registry.write.setMinStakes([REGISTRY_PARAMS.minExecutorStake + 1n, 0n]);
      expect(await s.registry.read.isActiveExecutor([s.executorSigners[0]!.address])).toBe(false);
    });

    it("error: ownership cannot be renounced", async () => {
      await expectRevert(s.registry.read.renounceOwnership(), "RenounceDisabled");
    });

    it("default: ownership moves in two steps", async () => {
      const next = s.wallets[11]!;
      await s.registry.write.transferOwnership([next.account.address]);
      expect(await s.registry.read.owner()).toBe(getAddress(s.admin.account.address));
      await s.registry.write.acceptOwnership({ account: next.account });
      expect(await s.registry.read.owner()).toBe(getAddress(next.account.address));
    });

    it("error: claims", async () => {
      await expectRevert(
        s.registry.write.claim([owner.account.address], { account: owner.account }),
        "NothingToClaim",
        [getAddress(owner.account.address)],
      );
      const key = s.executorSigners[0]!;
      const a: ExecutionResultMessage = {
        requestId: keccak256(toHex("r")),
        modelId: keccak256(toHex("m")),
        inputHash: keccak256(toHex("i")),
        outputHash: keccak256(toHex("a")),
        mode: 0,
      };
      const b = { ...a, outputHash: keccak256(toHex("b")) };
      await s.hub.write.challengeExecutorEquivocation(
        [
          a,
          await signExecutionResult(key, s.chainId, s.hub.address, a),
          b,
          await signExecutionResult(key, s.chainId, s.hub.address, b),
        ],
        { account: owner.account },
      );
      await expectRevert(s.registry.write.claim([zeroAddress], { account: owner.account }), "ZeroAddress");
      await expectRevert(
        s.registry.write.claim([s.models.address], { account: owner.account }),
        "TransferFailed",
        [getAddress(s.models.address), REGISTRY_PARAMS.minExecutorStake / 10n],
      );
    });
  });
});
