import type { Hex } from "viem";
import { checkVerifierAnswer } from "../client/answers.js";
import { checkHex32 } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { SettledResult, VerifierResult, WaitOptions } from "../client/types.js";
import { poll } from "../client/verifierQueries.js";

/**
 * Polls the verifiers until the result is verified or settled. A rejection is not final (another
 * result may still be verified): polling goes on, and only when time runs out with a rejection as
 * the latest answer does it fail with `REJECTED` (`meta.reason`); otherwise running out of time
 * fails with `TIMEOUT` (or `VERIFIER_UNREACHABLE` when none answered).
 */
export async function waitForResult(
  ctx: ClientContext,
  requestId: Hex,
  options: WaitOptions = {},
): Promise<VerifierResult> {
  const id = checkHex32(requestId, "requestId");
  const raw = await poll(ctx, id, (a) => a.status === "verified" || a.status === "settled", options);
  return checkVerifierAnswer(raw, ctx.expected(id)) as VerifierResult;
}

/** Polls the verifiers until the result is in a settled batch; returns the batch, root, proof and transaction. */
export async function waitForSettlement(
  ctx: ClientContext,
  requestId: Hex,
  options: WaitOptions = {},
): Promise<SettledResult> {
  const id = checkHex32(requestId, "requestId");
  const raw = await poll(ctx, id, (a) => a.status === "settled" && a.batch !== undefined, options);
  return checkVerifierAnswer(raw, ctx.expected(id)) as SettledResult;
}
