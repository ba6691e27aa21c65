import { Eip1559FeesNotSupportedError } from "viem";
import { estimateFeesPerGas, getChainId, getGasPrice, getTransactionCount } from "viem/actions";
import { ChainError } from "../errors/ChainError.js";
import { capFees, type TxFees } from "./fees.js";
import { hasCause, type TxContext } from "./TxContext.js";

/**
 * What the sender tracks of the chain: the next nonce (read from the chain once, then counted
 * locally; resynced after a nonce error, a timeout or a stop), the chain id (checked against the
 * configured one) and the fee type the chain takes (EIP-1559, else legacy).
 */
export class ChainState {
  /** The next nonce to use, while known. */
  nextNonce: number | undefined;
  private chainId: number | undefined;
  private feeType: "eip1559" | "legacy" | undefined;

  constructor(private readonly ctx: TxContext) {
    if (ctx.options.feeMode !== "auto") this.feeType = ctx.options.feeMode;
  }

  /** Forget the nonce: the next send reads it from the chain. */
  resync(): void {
    this.nextNonce = undefined;
  }

  async resolveNonce(signal: AbortSignal): Promise<number> {
    if (this.nextNonce === undefined) {
      this.nextNonce = await this.ctx.rpc(
        "getTransactionCount",
        () => getTransactionCount(this.ctx.deps.client, { address: this.ctx.address, blockTag: "pending" }),
        signal,
      );
      this.ctx.logger.debug({ nonce: this.nextNonce }, "Nonce synced from chain");
    }
    return this.nextNonce;
  }

  async resolveChainId(signal: AbortSignal): Promise<number> {
    if (this.chainId !== undefined) return this.chainId;
    const actual = await this.ctx.rpc("getChainId", () => getChainId(this.ctx.deps.client), signal);
    if (this.ctx.options.chainId !== undefined && actual !== this.ctx.options.chainId) {
      throw new ChainError(
        "CHAIN_MISMATCH",
        `The RPC serves chain ${actual}, not ${this.ctx.options.chainId}.`,
        {
          meta: { expected: this.ctx.options.chainId, actual },
        },
      );
    }
    this.chainId = actual;
    return actual;
  }

  async currentFees(signal: AbortSignal, label?: string, capped = true): Promise<TxFees> {
    const fees = await this.ctx.rpc("estimateFees", () => this.readFees(), signal, undefined, label);
    return capped ? capFees(fees, this.ctx.options.maxFeePerGas) : fees;
  }

  private async readFees(): Promise<TxFees> {
    if (this.feeType !== "legacy") {
      try {
        const fees = await estimateFeesPerGas(this.ctx.deps.client, {
          chain: this.ctx.deps.client.chain ?? null,
          type: "eip1559",
        });
        this.feeType = "eip1559";
        return {
          type: "eip1559",
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        };
      } catch (error) {
        if (!hasCause(error, Eip1559FeesNotSupportedError) || this.ctx.options.feeMode === "eip1559")
          throw error;
        this.feeType = "legacy";
        this.ctx.logger.info("Chain has no base fee; using legacy transactions");
      }
    }
    return { type: "legacy", gasPrice: await getGasPrice(this.ctx.deps.client) };
  }
}
