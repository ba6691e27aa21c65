import { sleep } from "@opg/chain";
import type { Hex } from "viem";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { fetchJson, remoteError } from "../http/fetchJson.js";
import { parseVerifierAnswer, type RawVerifierAnswer } from "./answers.js";
import { endpoint, missing } from "./args.js";
import type { ClientContext } from "./ClientContext.js";
import type { WaitOptions } from "./types.js";

const DEFAULT_WAIT_MS = 120_000;

/**
 * Asks each verifier in order; returns the first answer that satisfies `accept`, else the most advanced
 * one (settled > verified > rejected > pending). VERIFIER_UNREACHABLE when none answered.
 */
export async function askVerifiers(
  ctx: ClientContext,
  requestId: Hex,
  accept: (a: RawVerifierAnswer) => boolean,
  signal: AbortSignal | undefined,
): Promise<RawVerifierAnswer> {
  if (ctx.o.verifyUrls.length === 0) throw missing("verifyUrl", "reading results");
  let best: RawVerifierAnswer | undefined;
  let lastError: OpgSdkError | undefined;
  for (const base of ctx.o.verifyUrls) {
    let answer: RawVerifierAnswer;
    try {
      answer = await askVerifier(ctx, base, requestId, signal);
    } catch (error) {
      if (!(error instanceof OpgSdkError) || error.code === "ABORTED") throw error;
      // One verifier down or misbehaving: try the next; remember why.
      lastError = error;
      continue;
    }
    if (accept(answer)) return answer;
    if (best === undefined || rank(answer) > rank(best)) best = answer;
  }
  if (best !== undefined) return best;
  throw lastError ?? new OpgSdkError("VERIFIER_UNREACHABLE", "No verifier answered.");
}

/** One verifier's `GET /v1/results/:requestId`, parsed (pending answers come with HTTP 404). */
export async function askVerifier(
  ctx: ClientContext,
  base: string,
  requestId: Hex,
  signal: AbortSignal | undefined,
): Promise<RawVerifierAnswer> {
  const res = await fetchJson(
    "verifier",
    endpoint(base, `v1/results/${requestId}`),
    { method: "GET" },
    { fetch: ctx.o.fetch, timeoutMs: ctx.o.verifierTimeoutMs, signal },
  );
  const pending = res.status === 404 && (res.body as { status?: unknown } | null)?.status === "pending";
  if (res.status !== 200 && !pending) throw remoteError("verifier", res, "Reading the result");
  return parseVerifierAnswer(res.status, res.body, requestId, res.url);
}

export async function poll(
  ctx: ClientContext,
  requestId: Hex,
  done: (a: RawVerifierAnswer) => boolean,
  options: WaitOptions,
): Promise<RawVerifierAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const interval = options.pollIntervalMs ?? ctx.o.pollIntervalMs;
  const deadline = Date.now() + timeoutMs;
  let last: RawVerifierAnswer | undefined;
  let lastError: OpgSdkError | undefined;
  for (;;) {
    try {
      last = await askVerifiers(ctx, requestId, done, options.signal);
      lastError = undefined;
      if (done(last)) return last;
      // A rejection is not final while waiting: it refuses one executor's result (another
      // executor's, or a republished one, may still be verified), and it is one verifier's word.
      // It is reported only if nothing better came by the deadline.
    } catch (error) {
      if (!(error instanceof OpgSdkError) || !error.retryable) throw error;
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      if (lastError && last === undefined) throw lastError;
      if (last?.status === "rejected") throw rejected(last);
      throw new OpgSdkError("TIMEOUT", `Gave up waiting for ${requestId} after ${timeoutMs} ms.`, {
        meta: { requestId, lastStatus: last?.status, lastError: lastError?.code },
      });
    }
    await sleep(Math.min(interval, left), options.signal);
    if (options.signal?.aborted) {
      throw new OpgSdkError("ABORTED", `Stopped waiting for ${requestId}.`, {
        cause: options.signal.reason,
      });
    }
  }
}

export function rejected(answer: Extract<RawVerifierAnswer, { status: "rejected" }>): OpgSdkError {
  return new OpgSdkError("REJECTED", `The verifiers rejected the result: ${answer.reason.message}`, {
    meta: { requestId: answer.requestId, reason: answer.reason.code, verifier: answer.verifier },
  });
}

function rank(a: RawVerifierAnswer): number {
  return { pending: 0, rejected: 1, verified: 2, settled: a.status === "settled" && a.batch ? 4 : 3 }[
    a.status
  ];
}
