import type { Hex } from "viem";
import type { ExpectedRequest, RawVerifierAnswer } from "../client/answers.js";
import { checkHex32, missing } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { ResultVerification, VerifyOptions } from "../client/types.js";
import { assessInclusion, type SettledAnswer } from "../client/verification.js";
import { askVerifier, rejected } from "../client/verifierQueries.js";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";

/**
 * Verifies a settled result independently of the verifiers' word: the leaf is recomputed here from the
 * received outputs (their hash, not the claimed one), the Merkle proof is checked against the root read
 * from the hub (`batchRoot`), and the hub's `verifyResult` view must agree. A verifier that lies about
 * the root, the outputs or the fields yields `verified: false` with a `failure`; with several verifiers
 * the next one is tried, so one honest verifier suffices. Throws `NOT_SETTLED` when no verifier reports
 * a settled batch yet, `REJECTED`, `VERIFIER_UNREACHABLE` or `CHAIN_ERROR`.
 */
export async function verifyResult(
  ctx: ClientContext,
  requestId: Hex,
  options: VerifyOptions = {},
): Promise<ResultVerification> {
  const id = checkHex32(requestId, "requestId");
  if (ctx.o.verifyUrls.length === 0) throw missing("verifyUrl", "verifyResult");
  const expected = { ...ctx.expected(id), ...options.expected };
  let failed: ResultVerification | undefined;
  let rejection: Extract<RawVerifierAnswer, { status: "rejected" }> | undefined;
  let lastStatus: string | undefined;
  let lastError: OpgSdkError | undefined;
  for (const base of ctx.o.verifyUrls) {
    let raw: RawVerifierAnswer;
    try {
      raw = await askVerifier(ctx, base, id, options.signal);
    } catch (error) {
      if (!(error instanceof OpgSdkError) || error.code === "ABORTED") throw error;
      lastError = error;
      continue;
    }
    if (raw.status === "rejected") rejection ??= raw;
    if (raw.status === "pending" || raw.status === "rejected" || raw.batch === undefined) {
      lastStatus = raw.status;
      continue;
    }
    const verification = await checkOnChain(ctx, raw as SettledAnswer, expected);
    if (verification.verified) return verification;
    failed ??= verification;
  }
  if (failed) return failed;
  if (rejection) throw rejected(rejection);
  if (lastStatus !== undefined) {
    throw new OpgSdkError("NOT_SETTLED", `No verifier reports ${id} in a settled batch yet.`, {
      meta: { requestId: id, status: lastStatus },
    });
  }
  throw lastError ?? new OpgSdkError("VERIFIER_UNREACHABLE", "No verifier answered.");
}

/** The on-chain half of `verifyResult` for one verifier's answer. */
async function checkOnChain(
  ctx: ClientContext,
  answer: SettledAnswer,
  expected: ExpectedRequest,
): Promise<ResultVerification> {
  const root = await onChain("Reading the batch root", () => ctx.reader.batchRoot(answer.batch.batchId));
  const local = assessInclusion(answer, root, expected);
  const hubSaysIncluded = local.onChain
    ? await onChain("Calling the hub's verifyResult", () =>
        ctx.reader.verifyResult({ ...local.fields, batchId: local.batchId, proof: local.proof }),
      )
    : false;
  return local.build(hubSaysIncluded);
}
