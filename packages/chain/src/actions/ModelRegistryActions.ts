import type { ProofMode } from "@opg/protocol";
import { type Address, type Hex, zeroAddress, zeroHash } from "viem";
import { readContract } from "viem/actions";
import { modelRegistryAbi, opgErrorsAbi } from "../abis.js";
import type { TxResult } from "../tx/TxSender.js";
import { ContractActions, classified } from "./ContractActions.js";
import type { ModelInfo } from "./types.js";

/** A model to register. */
export type ModelRegistration = {
  modelId: Hex;
  metadataURI: string;
  /** Bitmask of supported modes (bit i = mode i; see `modeMask` of `@opg/contracts`). */
  modes: number;
  price: bigint;
  weightsCommitment?: Hex | undefined;
  zkVerifier?: Address | undefined;
  /** Allowed TEE measurement (PCR) hashes. */
  measurements?: readonly Hex[] | undefined;
};

/** Typed reads and writes of the ModelRegistry. */
export class ModelRegistryActions extends ContractActions {
  /** The model, or `undefined` when no model is registered under `modelId`. */
  async getModel(modelId: Hex): Promise<ModelInfo | undefined> {
    const m = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "getModel",
        args: [modelId],
      }),
    );
    if (m.owner === zeroAddress) return undefined;
    return {
      modelId,
      owner: m.owner,
      modes: m.modes,
      price: m.price,
      zkVerifier: m.zkVerifier,
      weightsCommitment: m.weightsCommitment,
      metadataURI: m.metadataURI,
    };
  }

  /** What a request for `modelId` must meet: supported modes (bitmask) and the minimum fee. */
  async requestTerms(modelId: Hex): Promise<{ modes: number; price: bigint }> {
    const [modes, price] = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "requestTerms",
        args: [modelId],
      }),
    );
    return { modes, price };
  }

  supportsMode(modelId: Hex, mode: ProofMode): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "supportsMode",
        args: [modelId, mode],
      }),
    );
  }

  /** Whether a TEE measurement (PCR hash) is allowed for the model. */
  isMeasurementAllowed(modelId: Hex, pcrHash: Hex): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "isMeasurementAllowed",
        args: [modelId, pcrHash],
      }),
    );
  }

  measurements(modelId: Hex): Promise<readonly Hex[]> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "measurements",
        args: [modelId],
      }),
    );
  }

  /** Sets a model's ZK config (owner only, once): weights commitment and IZkVerifier adapter. */
  setZkConfig(modelId: Hex, weightsCommitment: Hex, zkVerifier: Address): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setZkConfig",
      args: [modelId, weightsCommitment, zkVerifier],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Sets a model's supported modes (owner only; ZK needs the ZK config first). */
  setModes(modelId: Hex, modes: number): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setModes",
      args: [modelId, modes],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Sets a model's price per request, wei (owner only). */
  setPrice(modelId: Hex, price: bigint): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setPrice",
      args: [modelId, price],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Allows one more TEE measurement (PCR hash) for a model (owner only). */
  addMeasurement(modelId: Hex, pcrHash: Hex): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "addMeasurement",
      args: [modelId, pcrHash],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Registers a model owned by the sender's account. */
  registerModel(model: ModelRegistration): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "registerModel",
      args: [
        {
          modelId: model.modelId,
          metadataURI: model.metadataURI,
          modes: model.modes,
          price: model.price,
          weightsCommitment: model.weightsCommitment ?? zeroHash,
          zkVerifier: model.zkVerifier ?? zeroAddress,
          measurements: model.measurements ?? [],
        },
      ],
      errorAbi: opgErrorsAbi,
    });
  }
}
