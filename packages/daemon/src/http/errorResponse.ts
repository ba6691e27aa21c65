import { OpgError, ValidationError } from "@opg/protocol";
import { HttpError } from "../errors.js";

export type ErrorBody = { error: { code: string; message: string; details?: string; retryable: boolean } };

export type ErrorResponse = {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  internal: boolean;
};

/**
 * Maps a thrown value to an HTTP answer:
 * - `HttpError` → its status;
 * - an `OpgError` whose code is in `statusByCode` → that status;
 * - `ValidationError` → 400; a retryable `OpgError` → 503 with `Retry-After`;
 * - any other `OpgError` → 500 with its code and short message (ours, so safe to show);
 * - anything else → 500 `INTERNAL`, message hidden.
 */
export function errorResponse(error: unknown, statusByCode: ReadonlyMap<string, number>): ErrorResponse {
  if (error instanceof OpgError) {
    const mapped = statusByCode.get(error.code);
    const status =
      error instanceof HttpError
        ? error.status
        : (mapped ?? (error instanceof ValidationError ? 400 : error.retryable ? 503 : 500));
    const body: ErrorBody = {
      error: { code: error.code, message: error.shortMessage, retryable: error.retryable },
    };
    if (error.details !== undefined && status < 500) body.error.details = error.details;
    const headers: Record<string, string> = {};
    if (status === 503 || status === 429) headers["retry-after"] = "1";
    return { status, body, headers, internal: status >= 500 && !error.retryable };
  }
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: "Internal error", retryable: false } },
    headers: {},
    internal: true,
  };
}
