import type { Hex } from "viem";
import { checkVerifierAnswer } from "../client/answers.js";
import { checkHex32 } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { ResultLookup } from "../client/types.js";
import { askVerifiers } from "../client/verifierQueries.js";

/**
 * Asks the verifiers once about a request (in order, until one answers) and checks what it says:
 * pending, rejected, or a result whose outputs hash to its outputHash. Not a proof: see `verifyResult`.
 */
export async function getResult(
  ctx: ClientContext,
  requestId: Hex,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<ResultLookup> {
  const id = checkHex32(requestId, "requestId");
  const raw = await askVerifiers(ctx, id, () => true, options.signal);
  return checkVerifierAnswer(raw, ctx.expected(id));
}
