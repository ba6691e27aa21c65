import { ChainError } from "../errors/ChainError.js";
import { defaultBackoffOptions } from "../retry/backoff.js";
import type { RetryOptions } from "../retry/withRetry.js";

export type TxSenderOptions = {
  /** Expected chain id; checked against the RPC before the first transaction. `undefined`: take the RPC's. */
  chainId: number | undefined;
  /** Gas limit = estimate × (1 + headroom/100). */
  gasHeadroomPercent: number;
  /** A replacement raises every fee component by this much (≥ 10, what nodes require). */
  feeBumpPercent: number;
  /** Without a receipt for this long after the last broadcast, the transaction is replaced with higher fees. */
  stuckTimeoutMs: number;
  /** Most replacements per transaction; after that it is only waited for. */
  maxReplacements: number;
  /** The most the sender pays per gas (fee cap, or gas price); `undefined`: no cap. */
  maxFeePerGas: bigint | undefined;
  /** `auto`: EIP-1559 when the chain has a base fee, legacy otherwise. */
  feeMode: "auto" | "eip1559" | "legacy";
  /** Blocks (the receipt's included) before a transaction counts as mined. */
  confirmations: number;
  receiptPollIntervalMs: number;
  /** Give up waiting (TX_TIMEOUT) after this long; the transaction may still be mined later. */
  receiptTimeoutMs: number;
  /** Retries of individual RPC calls (estimate, broadcast, nonce, fees). */
  rpcRetry: RetryOptions;
};

export const defaultTxSenderOptions: TxSenderOptions = {
  chainId: undefined,
  gasHeadroomPercent: 20,
  feeBumpPercent: 15,
  stuckTimeoutMs: 45_000,
  maxReplacements: 5,
  maxFeePerGas: undefined,
  feeMode: "auto",
  confirmations: 1,
  receiptPollIntervalMs: 1_000,
  receiptTimeoutMs: 300_000,
  rpcRetry: { attempts: 8, backoff: { ...defaultBackoffOptions, initialDelayMs: 250, maxDelayMs: 8_000 } },
};

/** Throws INVALID_OPTIONS naming every bad option. */
export function validateOptions(o: TxSenderOptions): void {
  const problems: string[] = [];
  if (!(o.feeBumpPercent >= 10)) problems.push("feeBumpPercent: ≥ 10 (nodes reject smaller replacements)");
  if (!(o.gasHeadroomPercent >= 0)) problems.push("gasHeadroomPercent: ≥ 0");
  if (!(o.stuckTimeoutMs > 0)) problems.push("stuckTimeoutMs: > 0");
  if (!Number.isInteger(o.maxReplacements) || o.maxReplacements < 0)
    problems.push("maxReplacements: an integer ≥ 0");
  if (!Number.isInteger(o.confirmations) || o.confirmations < 1)
    problems.push("confirmations: an integer ≥ 1");
  if (!(o.receiptPollIntervalMs > 0)) problems.push("receiptPollIntervalMs: > 0");
  if (!(o.receiptTimeoutMs > 0)) problems.push("receiptTimeoutMs: > 0");
  if (!Number.isInteger(o.rpcRetry.attempts) || o.rpcRetry.attempts < 1)
    problems.push("rpcRetry.attempts: an integer ≥ 1");
  if (o.maxFeePerGas !== undefined && o.maxFeePerGas <= 0n) problems.push("maxFeePerGas: > 0");
  if (problems.length > 0) {
    throw new ChainError("INVALID_OPTIONS", "Invalid transaction sender options.", {
      details: problems.join("; "),
    });
  }
}
