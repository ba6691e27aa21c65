import type { ProofMode } from "@opg/protocol";
import { type Address, type Hex, parseEventLogs, zeroAddress, zeroHash } from "viem";
import { readContract } from "viem/actions";
import { modelRegistryAbi, opgErrorsAbi } from "../abis.js";
import { ChainError } from "../errors/ChainError.js";
import type { TxResult } from "../tx/TxSender.js";
import { ContractActions, classified } from "./ContractActions.js";
import type { ListingInfo, ZkKeySeal } from "./types.js";

/** A listing to create (ModelRegistry.ListingRegistration); the sender's account becomes its owner. */
export type ModelRegistration = {
  modelId: Hex;
  metadataURI: string;
  /** Bitmask of supported modes (bit i = mode i; see `modeMask` of `@opg/contracts`). */
  modes: number;
  price: bigint;
  weightsCommitment?: Hex | undefined;
  zkVerifier?: Address | undefined;
  /** The verification key hash the ZK verifier embeds. */
  vkHash?: Hex | undefined;
  /** Allowed TEE measurement (PCR) hashes. */
  measurements?: readonly Hex[] | undefined;
};

/** Typed reads and writes of the ModelRegistry's listings. */
export class ModelRegistryActions extends ContractActions {
  /** The listing, or `undefined` when no listing has this id. */
  async getListing(listingId: Hex): Promise<ListingInfo | undefined> {
    const l = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "getListing",
        args: [listingId],
      }),
    );
    if (l.owner === zeroAddress) return undefined;
    return { listingId, ...l };
  }

  /** The publisher's latest listing of `modelId`, or `undefined` when it has none. */
  async latestListing(modelId: Hex, publisher: Address): Promise<Hex | undefined> {
    const id = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "latestListing",
        args: [modelId, publisher],
      }),
    );
    return id === zeroHash ? undefined : id;
  }

  /** What a request naming `listingId` must meet: the model, supported modes (bitmask) and minimum fee. */
  async requestTerms(listingId: Hex): Promise<{ modelId: Hex; modes: number; price: bigint }> {
    const [modelId, modes, price] = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "requestTerms",
        args: [listingId],
      }),
    );
    return { modelId, modes, price };
  }

  supportsMode(listingId: Hex, mode: ProofMode): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "supportsMode",
        args: [listingId, mode],
      }),
    );
  }

  /** Whether a TEE measurement (PCR hash) is allowed for the listing. */
  isMeasurementAllowed(listingId: Hex, pcrHash: Hex): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "isMeasurementAllowed",
        args: [listingId, pcrHash],
      }),
    );
  }

  measurements(listingId: Hex): Promise<readonly Hex[]> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "measurements",
        args: [listingId],
      }),
    );
  }

  /** The EIP-712 digest verifiers sign to seal a listing's key. */
  zkKeySealDigest(seal: ZkKeySeal): Promise<Hex> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: modelRegistryAbi,
        functionName: "zkKeySealDigest",
        args: [seal],
      }),
    );
  }

  /**
   * Sets a listing's ZK config (owner only, once): weights commitment, IZkVerifier adapter and the
   * verification key hash the adapter embeds (its code hash is pinned).
   */
  setZkConfig(listingId: Hex, weightsCommitment: Hex, zkVerifier: Address, vkHash: Hex): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setZkConfig",
      args: [listingId, weightsCommitment, zkVerifier, vkHash],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Seals a listing's verification key with f + 1 signatures of the current verifier set (anyone may submit). */
  sealZkKey(seal: ZkKeySeal, signatures: readonly Hex[]): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "sealZkKey",
      args: [seal, signatures],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Sets a listing's supported modes (owner only; ZK needs the ZK config first). */
  setModes(listingId: Hex, modes: number): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setModes",
      args: [listingId, modes],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Sets a listing's price per request, wei (owner only). */
  setPrice(listingId: Hex, price: bigint): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "setPrice",
      args: [listingId, price],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Allows one more TEE measurement (PCR hash) for a listing (owner only). */
  addMeasurement(listingId: Hex, pcrHash: Hex): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "addMeasurement",
      args: [listingId, pcrHash],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Creates a listing owned by the sender's account; resolves to its id. */
  async createListing(model: ModelRegistration): Promise<{ listingId: Hex; tx: TxResult }> {
    const tx = await this.sender.writeContract({
      address: this.address,
      abi: modelRegistryAbi,
      functionName: "createListing",
      args: [
        {
          modelId: model.modelId,
          metadataURI: model.metadataURI,
          modes: model.modes,
          price: model.price,
          weightsCommitment: model.weightsCommitment ?? zeroHash,
          zkVerifier: model.zkVerifier ?? zeroAddress,
          vkHash: model.vkHash ?? zeroHash,
          measurements: model.measurements ?? [],
        },
      ],
      errorAbi: opgErrorsAbi,
    });
    const [event] = parseEventLogs({
      abi: modelRegistryAbi,
      logs: tx.receipt.logs,
      eventName: "ListingCreated",
    });
    if (!event) {
      throw new ChainError("UNKNOWN", "The createListing transaction emitted no ListingCreated event.", {
        meta: { hash: tx.hash },
      });
    }
    return { listingId: event.args.listingId, tx };
  }
}
