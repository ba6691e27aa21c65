import { OperatorRole, signSignerBinding } from "@opg/contracts";
import type { Address, Hex, LocalAccount } from "viem";
import { readContract } from "viem/actions";
import { operatorRegistryAbi, opgErrorsAbi } from "../abis.js";
import type { TxResult } from "../tx/TxSender.js";
import { ContractActions, classified } from "./ContractActions.js";
import type { Operator, OperatorRoleName, OperatorStatusName, SignerInfo, VerifierSet } from "./types.js";

/** A key able to sign the EIP-712 proof of possession (a viem local account). */
export type SigningKey = Pick<LocalAccount, "address" | "signTypedData">;

const ROLES: Record<number, OperatorRoleName> = { 1: "executor", 2: "verifier" };
const STATUSES: Record<number, OperatorStatusName> = { 0: "none", 1: "active", 2: "unbonding" };

/** Typed reads and writes of the OperatorRegistry. Writes are sent from the sender's account (the operator owner). */
export class OperatorRegistryActions extends ContractActions {
  // ------------------------------------------------------------------ reads

  /** The operator record of `owner` (status `none` when it never registered). */
  async getOperator(owner: Address): Promise<Operator> {
    const op = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "getOperator",
        args: [owner],
      }),
    );
    return {
      owner,
      signer: op.signer,
      role: ROLES[op.role],
      status: STATUSES[op.status] ?? "none",
      unbondAt: op.unbondAt,
      stake: op.stake,
    };
  }

  async getSignerInfo(signer: Address): Promise<SignerInfo> {
    const info = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "getSignerInfo",
        args: [signer],
      }),
    );
    return { owner: info.owner, retiredAt: info.retiredAt, burned: info.burned };
  }

  /** Whether `signer` is the current key of an active, sufficiently staked executor. */
  isActiveExecutor(signer: Address): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "isActiveExecutor",
        args: [signer],
      }),
    );
  }

  /** Whether `signer` is the current key of an active, sufficiently staked verifier. */
  isActiveVerifier(signer: Address): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "isActiveVerifier",
        args: [signer],
      }),
    );
  }

  /** The current verifier set: signers, f and the config digest they sign over. */
  async getVerifierSet(): Promise<VerifierSet> {
    const [configDigest, configCount, f, signers] = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "verifierConfig",
      }),
    );
    return { configDigest, configCount, f, signers };
  }

  /** The current config digest (zero before the first verifier set). */
  getConfigDigest(): Promise<Hex> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "configDigest",
      }),
    );
  }

  /** Membership and position of `signer` in the current verifier set. */
  async verifierIndex(signer: Address): Promise<{ member: boolean; index: number }> {
    const [member, index] = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "verifierIndex",
        args: [signer],
      }),
    );
    return { member, index: Number(index) };
  }

  /** Minimum stakes, wei. */
  async getMinStakes(): Promise<{ executor: bigint; verifier: bigint }> {
    const [executor, verifier] = await classified(() =>
      Promise.all([
        readContract(this.client, {
          address: this.address,
          abi: operatorRegistryAbi,
          functionName: "minExecutorStake",
        }),
        readContract(this.client, {
          address: this.address,
          abi: operatorRegistryAbi,
          functionName: "minVerifierStake",
        }),
      ]),
    );
    return { executor, verifier };
  }

  /** Slashing proceeds claimable by `account`. */
  claimable(account: Address): Promise<bigint> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: operatorRegistryAbi,
        functionName: "claimable",
        args: [account],
      }),
    );
  }

  // ------------------------------------------------------------------ writes

  /**
   * Registers the sender's account as an operator staking `stake` wei (default: the role's minimum),
   * binding `signer` with a proof of possession (`SignerBinding` signed by the key itself).
   */
  async register(params: {
    role: OperatorRoleName;
    signer: SigningKey;
    stake?: bigint | undefined;
  }): Promise<TxResult> {
    const role = params.role === "executor" ? OperatorRole.EXECUTOR : OperatorRole.VERIFIER;
    const stake =
      params.stake ??
      (await this.getMinStakes().then((m) => (params.role === "executor" ? m.executor : m.verifier)));
    const signature = await this.bindingSignature(params.signer, role);
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "register",
      args: [role, params.signer.address, signature],
      value: stake,
      errorAbi: opgErrorsAbi,
      label: `register(${params.role})`,
    });
  }

  /** Adds `amount` wei to the sender's stake. */
  addStake(amount: bigint): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "addStake",
      value: amount,
      errorAbi: opgErrorsAbi,
    });
  }

  /** Replaces the sender's signing key (the old one stays slashable for the challenge window). */
  async rotateSigner(params: { signer: SigningKey; role: OperatorRoleName }): Promise<TxResult> {
    const role = params.role === "executor" ? OperatorRole.EXECUTOR : OperatorRole.VERIFIER;
    const signature = await this.bindingSignature(params.signer, role);
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "rotateSigner",
      args: [params.signer.address, signature],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Starts unbonding (a verifier leaves the set); withdraw after the unbonding delay. */
  requestUnbond(): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "requestUnbond",
      errorAbi: opgErrorsAbi,
    });
  }

  /** Withdraws the whole stake after the unbonding delay. */
  withdrawStake(): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "withdrawStake",
      errorAbi: opgErrorsAbi,
    });
  }

  /** Withdraws the sender's slashing proceeds to `to`. */
  claim(to: Address): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "claim",
      args: [to],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Admin: replaces the verifier set (each signer an active verifier key); quorum is f + 1. */
  setVerifierConfig(signers: readonly Address[], f: number): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "setVerifierConfig",
      args: [signers, f],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Admin: sets the minimum stakes, wei (operators under a new minimum stop counting as active). */
  setMinStakes(executor: bigint, verifier: bigint): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: operatorRegistryAbi,
      functionName: "setMinStakes",
      args: [executor, verifier],
      errorAbi: opgErrorsAbi,
    });
  }

  private async bindingSignature(signer: SigningKey, role: OperatorRole): Promise<Hex> {
    return signSignerBinding(signer, {
      chainId: await this.chainId(),
      operatorRegistry: this.address,
      operator: this.sender.address,
      role,
    });
  }
}
