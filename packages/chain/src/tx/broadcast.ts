import {
  type Hash,
  type Hex,
  keccak256,
  type LocalAccount,
  TransactionNotFoundError,
  type TransactionSerializable,
} from "viem";
import { getTransaction, sendRawTransaction } from "viem/actions";
import { classifyError } from "../errors/classifyError.js";
import { sleep } from "../retry/sleep.js";
import type { TxFees } from "./fees.js";
import { hasCause, type TxContext } from "./TxContext.js";
import type { TxRequest } from "./txTypes.js";

/**
 * `eth_sendRawTransaction` with retries. Rebroadcasting the same bytes is harmless: "already
 * known" means it arrived, and "nonce too low" after a lost answer may mean it was mined.
 */
export async function broadcast(
  ctx: TxContext,
  serialized: Hex,
  hash: Hash,
  request: TxRequest,
  signal: AbortSignal,
): Promise<void> {
  let lostAnswers = 0;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw ctx.interrupted();
    try {
      await sendRawTransaction(ctx.deps.client, { serializedTransaction: serialized });
      return;
    } catch (raw) {
      const error = classifyError(raw, { abi: request.abi });
      if (error.code === "ALREADY_KNOWN") return;
      if (error.code === "NONCE_TOO_LOW" && lostAnswers > 0 && (await isKnown(ctx, hash, signal))) return;
      if (!error.retryable || attempt >= ctx.options.rpcRetry.attempts) throw error;
      lostAnswers++;
      ctx.deps.metrics?.onRpcError?.(error.code);
      const delay = ctx.backoff(attempt);
      ctx.logger.warn(
        { label: request.label, hash, code: error.code, attempt, delayMs: delay },
        "Broadcast failed; retrying",
      );
      await sleep(delay, signal);
    }
  }
}

async function isKnown(ctx: TxContext, hash: Hash, signal: AbortSignal): Promise<boolean> {
  try {
    await ctx.rpc("getTransaction", () => getTransaction(ctx.deps.client, { hash }), signal);
    return true;
  } catch (error) {
    if (hasCause(error, TransactionNotFoundError)) return false;
    throw error;
  }
}

/** Signs a transaction for this nonce and fees; its hash is keccak256 of the signed bytes. */
export async function signTransaction(
  account: LocalAccount,
  request: TxRequest & { gas: bigint },
  nonce: number,
  fees: TxFees,
  chainId: number,
): Promise<{ serialized: Hex; hash: Hash }> {
  const base = {
    chainId,
    nonce,
    to: request.to,
    data: request.data ?? "0x",
    value: request.value ?? 0n,
    gas: request.gas,
  };
  const tx: TransactionSerializable =
    fees.type === "eip1559"
      ? {
          ...base,
          type: "eip1559",
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        }
      : { ...base, type: "legacy", gasPrice: fees.gasPrice };
  const serialized = await account.signTransaction(tx);
  return { serialized, hash: keccak256(serialized) };
}
