import type { TransactionReceipt } from "viem";
import { call } from "viem/actions";
import { RevertedError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import type { TxContext } from "./TxContext.js";
import type { Pending } from "./txTypes.js";

/** Replays a mined, reverted transaction as a call at its block to recover the revert reason. */
export async function explainRevert(
  ctx: TxContext,
  pending: Pending,
  receipt: TransactionReceipt,
  signal: AbortSignal,
): Promise<RevertedError> {
  const meta = { hash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString() };
  try {
    await ctx.rpc(
      "call",
      () =>
        call(ctx.deps.client, {
          account: ctx.address,
          to: pending.request.to,
          data: pending.request.data,
          value: pending.request.value,
          gas: pending.request.gas,
          blockNumber: receipt.blockNumber,
        }),
      signal,
      pending.request.abi,
    );
  } catch (error) {
    const classified = classifyError(error, { abi: pending.request.abi });
    if (classified instanceof RevertedError) {
      return new RevertedError({
        errorName: classified.errorName,
        args: classified.args,
        reason: classified.reason,
        data: classified.data,
        meta,
      });
    }
  }
  return new RevertedError({ meta });
}
