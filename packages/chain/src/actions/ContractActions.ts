import type { Address, Client } from "viem";
import { getChainId } from "viem/actions";
import { opgErrorsAbi } from "../abis.js";
import { ChainError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import type { TxSender } from "../tx/TxSender.js";

export type ContractActionsDeps = {
  /** Client for reads (any viem client). */
  client: Client;
  /** Sender for writes; reads work without one. */
  sender?: TxSender | undefined;
};

/** What the typed contract wrappers share: the address, reads through a client, writes through a sender. */
export abstract class ContractActions {
  private chainIdPromise: Promise<number> | undefined;

  constructor(
    readonly address: Address,
    protected readonly deps: ContractActionsDeps,
  ) {}

  protected get client(): Client {
    return this.deps.client;
  }

  protected get sender(): TxSender {
    if (!this.deps.sender) {
      throw new ChainError(
        "INVALID_OPTIONS",
        "This action sends a transaction: construct the actions with a sender.",
      );
    }
    return this.deps.sender;
  }

  /** The address writes are sent from (undefined when constructed without a sender). */
  get from(): Address | undefined {
    return this.deps.sender?.address;
  }

  protected chainId(): Promise<number> {
    this.chainIdPromise ??= getChainId(this.client).catch((error: unknown) => {
      this.chainIdPromise = undefined;
      throw error;
    });
    return this.chainIdPromise;
  }
}

/** Runs a read and rethrows failures classified (`ChainError` / `ChainRetryableError`). */
export async function classified<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw classifyError(error, { abi: opgErrorsAbi });
  }
}
