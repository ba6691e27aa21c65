import type { TransactionReceipt } from "viem";
import { TransactionReceiptNotFoundError } from "viem";
import { getBlockNumber, getTransactionCount, getTransactionReceipt } from "viem/actions";
import { ChainError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import { sleep } from "../retry/sleep.js";
import type { ChainState } from "./ChainState.js";
import { explainRevert } from "./explainRevert.js";
import { replaceStuck } from "./replaceStuck.js";
import { hasCause, type TxContext } from "./TxContext.js";
import type { Pending, TxResult } from "./txTypes.js";

export async function waitMined(
  ctx: TxContext,
  state: ChainState,
  pending: Pending,
  signal: AbortSignal,
): Promise<TxResult> {
  const deadline = pending.startedAt + ctx.options.receiptTimeoutMs;
  let failures = 0;
  let droppedChecks = 0;
  while (true) {
    if (signal.aborted) throw ctx.interrupted(pending);
    let delay = ctx.options.receiptPollIntervalMs;
    try {
      const found = await findReceipt(ctx, pending);
      if (found) {
        const confirmed = await confirm(ctx, found, signal);
        if (confirmed) return await finish(ctx, pending, confirmed, signal);
      } else if (droppedChecks > 0 || Date.now() - pending.lastBroadcastAt >= ctx.options.stuckTimeoutMs) {
        // Not mined for a while: mined under another hash (someone else used the nonce), or stuck.
        if (await nonceConsumedByOther(ctx, pending)) {
          // Receipts can lag the nonce by a poll; only give up after a few looks.
          if (++droppedChecks >= 3) {
            throw new ChainError("TX_DROPPED", "The nonce was used by a transaction that is none of ours.", {
              meta: { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label },
            });
          }
        } else {
          droppedChecks = 0;
          await replaceStuck(ctx, state, pending, signal);
        }
      }
      failures = 0;
    } catch (raw) {
      const error = classifyError(raw, { abi: pending.request.abi });
      if (!error.retryable) throw error;
      failures++;
      ctx.deps.metrics?.onRpcError?.(error.code);
      delay = ctx.backoff(failures);
      ctx.logger[failures === 1 ? "warn" : "debug"](
        {
          label: pending.request.label,
          nonce: pending.nonce,
          code: error.code,
          attempt: failures,
          delayMs: delay,
        },
        "Waiting for receipt: RPC failed; backing off",
      );
    }
    if (Date.now() >= deadline) {
      // The nonce may or may not be used in the end: read it from the chain next time.
      state.resync();
      throw new ChainError("TX_TIMEOUT", "No receipt in time; the transaction may still be mined.", {
        meta: { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label },
      });
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
  }
}

/** The receipt of whichever of our transactions for this nonce was mined, if any. */
async function findReceipt(ctx: TxContext, pending: Pending): Promise<TransactionReceipt | undefined> {
  for (const hash of [...pending.hashes].reverse()) {
    try {
      return await getTransactionReceipt(ctx.deps.client, { hash });
    } catch (error) {
      if (!hasCause(error, TransactionReceiptNotFoundError)) throw error;
    }
  }
  return undefined;
}

/** True when the chain's mined nonce passed ours without any of our hashes being mined. */
async function nonceConsumedByOther(ctx: TxContext, pending: Pending): Promise<boolean> {
  const mined = await getTransactionCount(ctx.deps.client, { address: ctx.address, blockTag: "latest" });
  if (mined <= pending.nonce) return false;
  return (await findReceipt(ctx, pending)) === undefined;
}

/** Waits for `confirmations`; returns the receipt, or undefined when a reorg removed it. */
async function confirm(
  ctx: TxContext,
  receipt: TransactionReceipt,
  signal: AbortSignal,
): Promise<TransactionReceipt | undefined> {
  const needed = BigInt(ctx.options.confirmations);
  if (needed <= 1n) return receipt;
  while (!signal.aborted) {
    const head = await getBlockNumber(ctx.deps.client, { cacheTime: 0 });
    if (head - receipt.blockNumber + 1n >= needed) {
      try {
        const again = await getTransactionReceipt(ctx.deps.client, { hash: receipt.transactionHash });
        return again.blockHash === receipt.blockHash ? again : undefined;
      } catch (error) {
        if (hasCause(error, TransactionReceiptNotFoundError)) return undefined;
        throw error;
      }
    }
    await sleep(ctx.options.receiptPollIntervalMs, signal);
  }
  throw ctx.interrupted();
}

async function finish(
  ctx: TxContext,
  pending: Pending,
  receipt: TransactionReceipt,
  signal: AbortSignal,
): Promise<TxResult> {
  const { label } = pending.request;
  const seconds = (Date.now() - pending.startedAt) / 1000;
  ctx.deps.metrics?.onMined?.({
    label,
    hash: receipt.transactionHash,
    status: receipt.status,
    gasUsed: receipt.gasUsed,
    seconds,
  });
  if (receipt.status === "reverted") {
    ctx.logger.warn(
      { label, hash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString() },
      "Transaction reverted",
    );
    throw await explainRevert(ctx, pending, receipt, signal);
  }
  ctx.logger.info(
    {
      label,
      hash: receipt.transactionHash,
      blockNumber: receipt.blockNumber.toString(),
      gasUsed: receipt.gasUsed.toString(),
      replacements: pending.replacements,
    },
    "Transaction mined",
  );
  return {
    hash: receipt.transactionHash,
    nonce: pending.nonce,
    receipt,
    hashes: [...pending.hashes],
    replacements: pending.replacements,
  };
}
