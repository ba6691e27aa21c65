import type { IncomingMessage } from "node:http";
import { HttpError } from "../errors.js";

/**
 * Reads and parses a JSON request body of at most `maxBytes`. Answers 413 for a larger body
 * (checked against Content-Length first, then while streaming), 415 for a non-JSON content type
 * and 400 for malformed JSON. An empty body is `undefined`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const { chunks, size } = await collect(req, maxBytes);
  if (size === 0) return undefined;
  const type = req.headers["content-type"];
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `Unsupported content type: ${type.slice(0, 100)}`, {
      details: "Send the body as application/json.",
    });
  }
  const text = Buffer.concat(chunks, size).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, "BODY_INVALID", "Malformed JSON body", {
      details: (error as Error).message,
    });
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "BODY_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
}

/** Collects the body with events (an early exit from `for await` would destroy the socket before we answer). */
function collect(req: IncomingMessage, maxBytes: number): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, size });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError(400, "BAD_REQUEST", "Request body could not be read", { cause: error }));
    };
    const onAborted = () => onError(new Error("request aborted"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
