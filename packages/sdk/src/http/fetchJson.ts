import { apiErrorSchema } from "@opg/protocol";
import { OpgSdkError } from "../errors/OpgSdkError.js";

/** Which opg service an HTTP call goes to (picks the error codes). */
export type Service = "executor" | "verifier";

export type FetchJsonOptions = {
  fetch: typeof globalThis.fetch;
  /** Per-request timeout. */
  timeoutMs: number;
  /** The caller's signal: aborting it fails the call with `ABORTED`. */
  signal?: AbortSignal | undefined;
};

/** An HTTP answer whose body parsed as JSON. */
export type JsonAnswer = { status: number; body: unknown; url: string };

/** Largest answer read (the biggest legal outputs, 64 MiB, in base64 plus the JSON around them). */
const MAX_BODY_BYTES = 96 * 1024 * 1024;

const UNREACHABLE = { executor: "EXECUTOR_UNREACHABLE", verifier: "VERIFIER_UNREACHABLE" } as const;
const REMOTE_ERROR = { executor: "EXECUTOR_ERROR", verifier: "VERIFIER_ERROR" } as const;

/**
 * One JSON request to an executor or verifier. Network failures and timeouts become
 * `EXECUTOR_UNREACHABLE` / `VERIFIER_UNREACHABLE` (retryable), the caller's abort `ABORTED`, a body that is
 * not JSON `BAD_RESPONSE`. Any HTTP status is returned: callers decide what it means.
 */
export async function fetchJson(
  service: Service,
  url: URL,
  init: { method: "GET" | "POST"; body?: unknown },
  options: FetchJsonOptions,
): Promise<JsonAnswer> {
  if (options.signal?.aborted) throw aborted(service, options.signal);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, {
      method: init.method,
      headers:
        init.body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal,
    });
    const length = Number(response.headers.get("content-length") ?? "0");
    if (length > MAX_BODY_BYTES) {
      await response.body?.cancel();
      throw new OpgSdkError("BAD_RESPONSE", `The ${service} answered ${length} bytes, above the limit.`, {
        meta: { url: url.toString(), status: response.status },
      });
    }
    text = await response.text();
  } catch (error) {
    if (error instanceof OpgSdkError) throw error;
    if (options.signal?.aborted) throw aborted(service, options.signal);
    const timedOut = timeout.aborted;
    throw new OpgSdkError(
      UNREACHABLE[service],
      timedOut
        ? `The ${service} at ${url.origin} did not answer within ${options.timeoutMs} ms.`
        : `The ${service} at ${url.origin} is unreachable.`,
      { cause: error, details: describeCause(error), meta: { url: url.toString(), timedOut } },
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new OpgSdkError(
      "BAD_RESPONSE",
      `The ${service} answered HTTP ${response.status} with a body that is not JSON.`,
      {
        cause,
        details: text.slice(0, 200),
        meta: { url: url.toString(), status: response.status },
      },
    );
  }
  return { status: response.status, body, url: url.toString() };
}

/**
 * The error for an answer that is an opg error body (`apiErrorSchema`: `{error: {code, message, details?,
 * retryable}}`) or an unexpected status (a proxy's page, say): `EXECUTOR_ERROR` / `VERIFIER_ERROR` with
 * `meta.status` and `meta.remoteCode`.
 */
export function remoteError(service: Service, answer: JsonAnswer, what: string): OpgSdkError {
  const parsed = apiErrorSchema.safeParse(answer.body);
  const e = parsed.success ? parsed.data.error : undefined;
  return new OpgSdkError(
    REMOTE_ERROR[service],
    `${what}: the ${service} answered ${e?.message ?? `HTTP ${answer.status}`}`,
    {
      details: e?.details,
      retryable: e?.retryable === true || answer.status >= 500 || answer.status === 429,
      meta: { url: answer.url, status: answer.status, remoteCode: e?.code },
    },
  );
}

function aborted(service: Service, signal: AbortSignal): OpgSdkError {
  return new OpgSdkError("ABORTED", `The call to the ${service} was aborted.`, { cause: signal.reason });
}

function describeCause(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.message : undefined;
}
