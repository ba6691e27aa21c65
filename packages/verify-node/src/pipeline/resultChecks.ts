// The stateless, CPU-bound checks of a gossiped result (decode, executor signature, outputs hash
// and encoding, direct-request authentication), shared by ResultValidator's inline path and the
// worker threads of CheckPool: one implementation, the same verdicts either way.
//
// Also the worker's entry: run as a worker thread (workerData.role === WORKER_ROLE) it answers
// batches of wire messages. Imports only node: and @opg/protocol (its built dist) and erased
// types, so Node runs it straight from the TypeScript source (type stripping) as well as from dist/.
import { parentPort, workerData } from "node:worker_threads";
import {
  authenticateDirectRequest,
  DEFAULT_TENSOR_LIMITS,
  DirectRequestError,
  decodeResultMessage,
  decodeTensors,
  executionResultDigest,
  hashEncodedTensors,
  type OpgDomain,
  OpgError,
  type ResultMessage,
  recoverDigestSigner,
  SignatureError,
  TensorError,
  WireError,
} from "@opg/protocol";
import type { Hex } from "viem";
import type { ResultRejectCode } from "./ResultValidator.js";

/** The steps these checks cover, in pipeline order (ResultValidator's VALIDATION_STEPS). */
export const CHECK_STEPS = ["decode", "signature", "outputs", "request"] as const;
export type CheckStep = (typeof CHECK_STEPS)[number];

/**
 * Why a check failed: a REJECT with its code, message and cause, or (`internal`) our own failure,
 * which the validator turns into a blameless IGNORE.
 */
export type CheckFailure = {
  step: CheckStep;
  code: ResultRejectCode;
  message: string;
  cause?: unknown;
  internal?: boolean;
};

function fail(step: CheckStep, code: ResultRejectCode, message: string, cause?: unknown): CheckFailure {
  return cause === undefined ? { step, code, message } : { step, code, message, cause };
}

function internal(step: CheckStep, cause: unknown): CheckFailure {
  return { step, code: "INTERNAL", message: `Step ${step} failed unexpectedly.`, cause, internal: true };
}

export function isCheckFailure(x: unknown): x is CheckFailure {
  return typeof x === "object" && x !== null && "step" in x && "code" in x;
}

/** Step `decode`: the strict wire decoding. */
export function decodeCheck(bytes: Uint8Array): ResultMessage | CheckFailure {
  try {
    return decodeResultMessage(bytes);
  } catch (cause) {
    if (!(cause instanceof WireError)) return internal("decode", cause);
    return fail("decode", "MALFORMED", "The result message does not decode.", cause);
  }
}

/** Step `signature`: the executor's EIP-712 signature recovers to `m.executor`. */
export function signatureCheck(domain: OpgDomain, m: ResultMessage): CheckFailure | undefined {
  let signer: string;
  try {
    signer = recoverDigestSigner(executionResultDigest(domain, m), m.signature);
  } catch (cause) {
    return fail("signature", "BAD_SIGNATURE", "The executor signature is invalid.", cause);
  }
  // Both are valid addresses (recovered; decoded with a checksum): equal ignoring case.
  if (signer.toLowerCase() !== m.executor.toLowerCase()) {
    return fail(
      "signature",
      "BAD_SIGNATURE",
      "The result is not signed by its executor.",
      new SignatureError("WRONG_SIGNER", signer),
    );
  }
  return undefined;
}

/** Step `outputs`: inline outputs hash to `outputHash` and are a canonical tensor encoding. */
export function outputsCheck(m: ResultMessage): CheckFailure | undefined {
  // Outputs by reference: the executor signed their hash; the payload is fetched on demand by
  // whoever needs it and checked against that hash then (PAYLOAD_PROTOCOL).
  if (m.outputs.length === 0) return undefined;
  try {
    if (hashEncodedTensors(m.outputs) !== m.outputHash) {
      return fail("outputs", "OUTPUT_HASH_MISMATCH", "keccak256 of the outputs is not the outputHash.");
    }
    decodeTensors(m.outputs, DEFAULT_TENSOR_LIMITS);
  } catch (cause) {
    if (cause instanceof TensorError) {
      return fail("outputs", "BAD_OUTPUTS", "The outputs are not a canonical tensor encoding.", cause);
    }
    return internal("outputs", cause);
  }
  return undefined;
}

/**
 * Step `request`, its stateless part for a direct request: the requestId is the digest of the
 * signed request and the requester signed it. The deadline (it needs the clock) and on-chain
 * requests (they need the chain) are the validator's.
 */
export function directRequestCheck(domain: OpgDomain, m: ResultMessage): CheckFailure | undefined {
  if (m.origin.type !== "direct") return undefined;
  const request = {
    requester: m.origin.requester,
    modelId: m.modelId,
    inputHash: m.inputHash,
    mode: m.mode,
    nonce: m.origin.nonce,
    deadline: m.origin.deadline,
  };
  try {
    authenticateDirectRequest(domain, request, m.origin.requesterSignature, { requestId: m.requestId });
  } catch (err) {
    if (!(err instanceof DirectRequestError)) return internal("request", err);
    switch (err.code) {
      case "REQUEST_ID_MISMATCH":
        return fail("request", "REQUEST_ID_MISMATCH", err.shortMessage);
      case "BAD_SIGNATURE":
        return fail("request", "BAD_REQUEST_SIGNATURE", "The requester's signature is invalid.", err.cause);
      default:
        return fail("request", "BAD_REQUEST_SIGNATURE", err.shortMessage);
    }
  }
  return undefined;
}

/**
 * A result after the stateless checks: decoded (unless decode failed), first failure if any. (Its
 * resultHash is the caller's: the verifier reads it off the header bytes before any check.)
 */
export type Checked = {
  message: ResultMessage | undefined;
  failure: CheckFailure | undefined;
  /** CPU time of the checks on the thread that ran them, µs. */
  micros: number;
};

/**
 * Every stateless check, in pipeline order, stopping at the first failure. What a worker runs:
 * the requester's signature is checked before the validator has asked whether the executor is
 * registered (it costs worker CPU only: no chain read, nothing stored), and the validator reports
 * the failures in pipeline order.
 */
export function runChecks(domain: OpgDomain, bytes: Uint8Array): Checked {
  const t0 = performance.now();
  const decoded = decodeCheck(bytes);
  if (isCheckFailure(decoded)) {
    return { message: undefined, failure: decoded, micros: micros(t0) };
  }
  const m = decoded;
  const failure = signatureCheck(domain, m) ?? outputsCheck(m) ?? directRequestCheck(domain, m);
  return { message: m, failure, micros: micros(t0) };
}

function micros(t0: number): number {
  return Math.round((performance.now() - t0) * 1000);
}

// ── worker wire format ──────────────────────────────────────────────────────────────────────
// Parent → worker: { seq, buf, lens }: the batch's messages back to back in one transferred
// buffer. Worker → parent: { seq, out }: one flat array, RECORD_FIELDS slots per message
// (plain strings, numbers and bigints: cheap to clone), outputs and proof as offsets into the
// parent's own copy of the bytes.

export const WORKER_ROLE = "opg-result-checks";
export const RECORD_FIELDS = 23;
/** The `seq` of the worker's first message, which says it is ready. */
export const READY = -1;
export type WorkerJob = { seq: number; buf: Uint8Array; lens: number[]; domain?: OpgDomain };
/** `cpu`: the worker thread's CPU time so far, µs (profiling). */
export type WorkerReply = { seq: number; out: unknown[]; cpu: number };

type CauseRecord = [name: string, code: string, shortMessage: string, details: string | undefined];

function causeRecord(cause: unknown): CauseRecord | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof OpgError) return [cause.name, String(cause.code), cause.shortMessage, cause.details];
  return ["Error", "", cause instanceof Error ? cause.message : String(cause), undefined];
}

/** The cause as its own class again (what `instanceof` and `.code` see on the parent). */
function causeFromRecord(r: CauseRecord | undefined): unknown {
  if (r === undefined) return undefined;
  const [name, code, short, details] = r;
  const options = details === undefined ? {} : { details };
  switch (name) {
    case "SignatureError":
      return new SignatureError(code as never, short, options);
    case "WireError":
      return new WireError(code as never, short, options);
    case "TensorError":
      return new TensorError(code as never, short, options);
    case "Error":
      return new Error(short);
    default:
      return new OpgError(code, short, options);
  }
}

/** Appends one checked message to `out` (worker side). */
export function writeRecord(out: unknown[], bytes: Uint8Array, c: Checked): void {
  const f = c.failure;
  const m = c.message;
  const o = m?.origin;
  out.push(
    f === undefined ? -1 : CHECK_STEPS.indexOf(f.step),
    f?.code,
    f?.message,
    f === undefined ? undefined : causeRecord(f.cause),
    f?.internal === true,
    m?.requestId,
    m?.modelId,
    m?.inputHash,
    m?.outputHash,
    m?.executor,
    m?.mode,
    m?.signature,
    offsetIn(bytes, m?.outputs),
    m?.outputs.byteLength ?? 0,
    offsetIn(bytes, m?.proof),
    m?.proof.byteLength ?? 0,
    o?.type === "direct" ? o.requester : undefined,
    o?.type === "direct" ? o.nonce : undefined,
    o?.type === "direct" ? o.deadline : undefined,
    o?.type === "direct" ? o.requesterSignature : undefined,
    c.micros,
    // A field that is not a view of the message (never with cbor2 today) travels as a copy.
    m !== undefined && offsetIn(bytes, m.outputs) < 0 ? m.outputs : undefined,
    m !== undefined && offsetIn(bytes, m.proof) < 0 ? m.proof : undefined,
  );
}

/** Where `part` lies in `bytes` (0 when empty), or -1 when it is not a view of them. */
function offsetIn(bytes: Uint8Array, part: Uint8Array | undefined): number {
  if (part === undefined || part.byteLength === 0) return 0;
  const at = part.byteOffset - bytes.byteOffset;
  return part.buffer === bytes.buffer && at >= 0 && at + part.byteLength <= bytes.byteLength ? at : -1;
}

/** Reads one checked message back (parent side); `bytes` is the parent's copy of the message. */
export function readRecord(out: readonly unknown[], i: number, bytes: Uint8Array): Checked {
  const at = i * RECORD_FIELDS;
  const r = (k: number) => out[at + k];
  const stepIndex = r(0) as number;
  const failure: CheckFailure | undefined =
    stepIndex < 0
      ? undefined
      : {
          step: CHECK_STEPS[stepIndex]!,
          code: r(1) as ResultRejectCode,
          message: r(2) as string,
          ...(r(3) === undefined ? {} : { cause: causeFromRecord(r(3) as CauseRecord) }),
          ...(r(4) === true ? { internal: true } : {}),
        };
  let message: ResultMessage | undefined;
  if (r(5) !== undefined) {
    const outputsAt = r(12) as number;
    const proofAt = r(14) as number;
    message = {
      requestId: r(5) as Hex,
      modelId: r(6) as Hex,
      inputHash: r(7) as Hex,
      outputHash: r(8) as Hex,
      executor: r(9) as Hex,
      mode: r(10) as ResultMessage["mode"],
      outputs: (r(21) as Uint8Array | undefined) ?? bytes.subarray(outputsAt, outputsAt + (r(13) as number)),
      proof: (r(22) as Uint8Array | undefined) ?? bytes.subarray(proofAt, proofAt + (r(15) as number)),
      signature: r(11) as Hex,
      origin:
        r(16) === undefined
          ? { type: "onchain" }
          : {
              type: "direct",
              requester: r(16) as Hex,
              nonce: r(17) as bigint,
              deadline: r(18) as bigint,
              requesterSignature: r(19) as Hex,
            },
    };
  }
  return { message, failure, micros: r(20) as number };
}

/** The worker's loop: check each batch, answer with one flat array. */
function serve(domain: OpgDomain): void {
  const port = parentPort!;
  const cpuNow = () => {
    const c = process.threadCpuUsage?.() ?? { user: 0, system: 0 };
    return c.user + c.system;
  };
  port.on("message", (job: WorkerJob) => {
    const out: unknown[] = [];
    let at = 0;
    for (const len of job.lens) {
      const bytes = job.buf.subarray(at, at + len);
      at += len;
      writeRecord(out, bytes, runChecks(domain, bytes));
    }
    port.postMessage({ seq: job.seq, out, cpu: cpuNow() } satisfies WorkerReply);
  });
  // Ready: a reply to no batch.
  port.postMessage({ seq: READY, out: [], cpu: cpuNow() } satisfies WorkerReply);
}

if (parentPort !== null && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  serve((workerData as { domain: OpgDomain }).domain);
}
