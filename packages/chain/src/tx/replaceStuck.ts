import type { Hash, Hex } from "viem";
import { classifyError } from "../errors/classifyError.js";
import { broadcast, signTransaction } from "./broadcast.js";
import type { ChainState } from "./ChainState.js";
import { bumpFees, capFees, feeCeiling, isValidReplacement } from "./fees.js";
import type { TxContext } from "./TxContext.js";
import type { Pending } from "./txTypes.js";

/**
 * Rebroadcasts the same nonce with fees raised by `feeBumpPercent` (or what the network asks now).
 * Out of replacements, or at the fee cap, it rebroadcasts the last transaction unchanged instead
 * (an RPC that lost its mempool gets it back).
 */
export async function replaceStuck(
  ctx: TxContext,
  state: ChainState,
  pending: Pending,
  signal: AbortSignal,
): Promise<void> {
  const { label } = pending.request;
  const bumped =
    pending.replacements < ctx.options.maxReplacements
      ? capFees(
          bumpFees(pending.fees, await state.currentFees(signal, label, false), ctx.options.feeBumpPercent),
          ctx.options.maxFeePerGas,
        )
      : undefined;
  if (bumped === undefined || !isValidReplacement(pending.fees, bumped, 10)) {
    ctx.logger.warn(
      {
        label,
        nonce: pending.nonce,
        replacements: pending.replacements,
        maxFeePerGas: ctx.options.maxFeePerGas?.toString(),
      },
      bumped === undefined
        ? "Transaction stuck and out of replacements; rebroadcasting it"
        : "Transaction stuck but fees are at the configured cap; rebroadcasting it",
    );
    await rebroadcast(ctx, pending, pending.serialized, pending.hashes.at(-1) as Hash, signal);
    return;
  }
  const chainId = await state.resolveChainId(signal);
  const { serialized, hash } = await signTransaction(
    ctx.deps.account,
    pending.request,
    pending.nonce,
    bumped,
    chainId,
  );
  const outcome = await rebroadcast(ctx, pending, serialized, hash, signal);
  if (outcome === "underpriced") {
    // The node holds a pricier version than we think: start from the bumped fees next time.
    pending.fees = bumped;
    ctx.logger.warn({ label, nonce: pending.nonce }, "Replacement underpriced; bumping again later");
    return;
  }
  if (outcome !== "sent") return;
  pending.fees = bumped;
  pending.hashes.push(hash);
  pending.serialized = serialized;
  pending.replacements++;
  ctx.deps.metrics?.onBroadcast?.({
    label,
    hash,
    nonce: pending.nonce,
    replacement: pending.replacements,
    fees: bumped,
  });
  ctx.logger.warn(
    {
      label,
      nonce: pending.nonce,
      hash,
      replacement: pending.replacements,
      maxFeePerGas: feeCeiling(bumped).toString(),
    },
    "Transaction stuck; replaced with higher fees",
  );
}

/** Broadcasts a transaction for a pending nonce; the outcomes a replacement can have. */
async function rebroadcast(
  ctx: TxContext,
  pending: Pending,
  serialized: Hex,
  hash: Hash,
  signal: AbortSignal,
): Promise<"sent" | "underpriced" | "nonce-used"> {
  pending.lastBroadcastAt = Date.now();
  try {
    await broadcast(ctx, serialized, hash, pending.request, signal);
    return "sent";
  } catch (raw) {
    const error = classifyError(raw, { abi: pending.request.abi });
    if (error.code === "REPLACEMENT_UNDERPRICED") return "underpriced";
    // Mined meanwhile (or taken by another transaction): the receipt polling sorts it out.
    if (error.code === "NONCE_TOO_LOW") return "nonce-used";
    throw error;
  } finally {
    pending.lastBroadcastAt = Date.now();
  }
}
