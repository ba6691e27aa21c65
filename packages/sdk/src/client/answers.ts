/**
 * Parsing and checking of executor and verifier answers. Nothing an executor or verifier says is taken on
 * its word: hashes are recomputed from the data, signatures recovered, fields compared with the request.
 */
import {
  type ExecutionResult,
  encodeTensors,
  executorResultSchema,
  type OpgDomain,
  type ProofMode,
  recoverExecutionResultSigner,
  resultHash,
  SignatureError,
  TensorError,
  type TensorMap,
  tensorsFromJson,
  verifierResultSchema,
  type ZkSettlement,
} from "@opg/protocol";
import { type Address, getAddress, type Hex, isAddressEqual, keccak256 } from "viem";
import type * as z from "zod";

export type { ZkSettlement } from "@opg/protocol";

import { OpgSdkError } from "../errors/OpgSdkError.js";
import { decodeTensorBytes } from "../tensors/tensorInput.js";
import type { ResultLookup } from "./types.js";

/** What the request was, as the caller knows it (each field optional: only known fields are compared). */
export type ExpectedRequest = { requestId: Hex; modelId?: Hex | undefined; inputHash?: Hex | undefined };

/** An executor's answer to a direct request after every check. */
export type CheckedExecutorAnswer = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
  resultHash: Hex;
  mode: ProofMode;
  outputs: TensorMap;
  signature: Hex;
  proof: {
    mode: ProofMode;
    bytes: number;
    status: "none" | "attached";
    /** ZK results: the request input, the output bytes and the proof in the on-chain adapter's format. */
    settlement: ZkSettlement | undefined;
  };
};

function badResponse(service: string, error: z.ZodError, url: string): OpgSdkError {
  const issue = error.issues[0];
  return new OpgSdkError("BAD_RESPONSE", `The ${service} answered JSON that is not a result.`, {
    details: issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : undefined,
    meta: { url },
  });
}

const lower = (h: string): Hex => h.toLowerCase() as Hex;

/** Fails with REQUEST_MISMATCH when a field of the answer differs from what was asked. */
function checkSameRequest(
  answer: { requestId: Hex; modelId: Hex; inputHash: Hex },
  expected: ExpectedRequest,
  service: string,
): void {
  for (const key of ["requestId", "modelId", "inputHash"] as const) {
    const want = expected[key];
    if (want !== undefined && lower(want) !== lower(answer[key])) {
      throw new OpgSdkError("REQUEST_MISMATCH", `The ${service} answered for another ${key}.`, {
        meta: { field: key, expected: want, got: answer[key] },
      });
    }
  }
}

/**
 * Checks a `POST /v1/infer` answer against the signed request: same requestId, model and input; outputs
 * hash to `outputHash`; `resultHash` is the hash of the fields; the `ExecutionResult` signature recovers to
 * `executor` (low-s, v 27/28). Throws BAD_RESPONSE, REQUEST_MISMATCH, HASH_MISMATCH or BAD_SIGNATURE.
 */
export function checkExecutorAnswer(
  domain: OpgDomain,
  expected: ExpectedRequest & { mode: ProofMode },
  body: unknown,
  url: string,
): CheckedExecutorAnswer {
  const parsed = executorResultSchema.safeParse(body);
  if (!parsed.success) throw badResponse("executor", parsed.error, url);
  const a = parsed.data;
  const fields = {
    requestId: lower(a.requestId),
    modelId: lower(a.modelId),
    inputHash: lower(a.inputHash),
    outputHash: lower(a.outputHash),
    executor: getAddress(a.executor),
  };
  checkSameRequest(fields, expected, "executor");
  const answeredMode = a.mode;
  if (answeredMode !== expected.mode) {
    throw new OpgSdkError("REQUEST_MISMATCH", "The executor answered in another proof mode.", {
      meta: { expected: expected.mode, got: answeredMode },
    });
  }
  let outputs: TensorMap;
  try {
    outputs = tensorsFromJson(a.outputs);
  } catch (cause) {
    if (!(cause instanceof TensorError)) throw cause;
    throw new OpgSdkError(
      "BAD_RESPONSE",
      `The executor's outputs are not valid tensors: ${cause.shortMessage}`,
      {
        cause,
        meta: { url },
      },
    );
  }
  const outputHash = hashOutputs(outputs, "executor", url);
  if (outputHash !== fields.outputHash) {
    throw new OpgSdkError(
      "HASH_MISMATCH",
      "The executor's outputs do not hash to the outputHash it signed.",
      {
        meta: { claimed: fields.outputHash, computed: outputHash },
      },
    );
  }
  const computedResultHash = resultHash(fields);
  if (computedResultHash !== lower(a.resultHash)) {
    throw new OpgSdkError(
      "HASH_MISMATCH",
      "The executor's resultHash is not the hash of its result fields.",
      {
        meta: { claimed: a.resultHash, computed: computedResultHash },
      },
    );
  }
  const signed: ExecutionResult = { ...fields, mode: answeredMode };
  let signer: Address;
  try {
    signer = recoverExecutionResultSigner(domain, signed, a.signature);
  } catch (cause) {
    if (!(cause instanceof SignatureError)) throw cause;
    throw new OpgSdkError("BAD_SIGNATURE", `The executor's signature is invalid: ${cause.shortMessage}`, {
      cause,
    });
  }
  if (!isAddressEqual(signer, fields.executor)) {
    throw new OpgSdkError(
      "BAD_SIGNATURE",
      "The executor's signature does not recover to the executor it names.",
      {
        meta: { executor: fields.executor, recovered: signer },
      },
    );
  }
  return {
    ...fields,
    resultHash: computedResultHash,
    mode: answeredMode,
    outputs,
    signature: a.signature,
    proof: {
      mode: a.proof.mode,
      bytes: a.proof.bytes,
      status: a.proof.status,
      settlement: a.proof.settlement,
    },
  };
}

/** A batch as a verifier reports it. */
export type ClaimedBatch = { batchId: bigint; root: Hex; proof: Hex[]; settlementTx: Hex | null };

/** A verified or settled result as a verifier claims it (parsed, not yet checked). */
export type ClaimedResult = {
  status: "verified" | "settled";
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
  resultHash: Hex;
  mode: ProofMode;
  outputBytes: Hex;
  /** Present when the verifier reports the result's settled batch. */
  batch: ClaimedBatch | undefined;
  verifier: string;
};

/** A verifier's answer as claimed (parsed, not yet checked). */
export type RawVerifierAnswer =
  | { status: "pending"; requestId: Hex }
  | { status: "rejected"; requestId: Hex; reason: { code: string; message: string }; verifier: string }
  | ClaimedResult;

/**
 * Parses a verifier's `GET /v1/results/:requestId` answer (HTTP 200, or 404 with status pending) for
 * `requestId`. Throws BAD_RESPONSE (not the documented shape) or REQUEST_MISMATCH (another request).
 */
export function parseVerifierAnswer(
  status: number,
  body: unknown,
  requestId: Hex,
  url: string,
): RawVerifierAnswer {
  const parsed = verifierResultSchema.safeParse(body);
  if (!parsed.success) throw badResponse("verifier", parsed.error, url);
  const a = parsed.data;
  if (lower(a.requestId) !== lower(requestId)) {
    throw new OpgSdkError("REQUEST_MISMATCH", "The verifier answered for another requestId.", {
      meta: { expected: requestId, got: a.requestId },
    });
  }
  if (a.status === "pending") return { status: "pending", requestId: lower(requestId) };
  if (status !== 200) {
    throw new OpgSdkError("BAD_RESPONSE", `The verifier answered status ${a.status} with HTTP ${status}.`, {
      meta: { url },
    });
  }
  if (a.status === "rejected") {
    return {
      status: "rejected",
      requestId: lower(requestId),
      reason: { code: a.reason.code, message: a.reason.message },
      verifier: url,
    };
  }
  const batch =
    a.status === "settled" && a.batchId !== undefined && a.root !== undefined && a.proof
      ? {
          batchId: BigInt(a.batchId),
          root: lower(a.root),
          proof: a.proof.map(lower),
          settlementTx: a.settlementTx ? lower(a.settlementTx) : null,
        }
      : undefined;
  return {
    // Settled without a proof from this verifier: as good as verified here, not yet provable.
    status: a.status === "settled" && batch === undefined ? "verified" : a.status,
    requestId: lower(a.requestId),
    modelId: lower(a.modelId),
    inputHash: lower(a.inputHash),
    outputHash: lower(a.outputHash),
    executor: getAddress(a.executor),
    resultHash: lower(a.resultHash),
    mode: a.mode,
    outputBytes: lower(a.outputs),
    batch,
    verifier: url,
  };
}

/**
 * Checks a parsed verifier answer: a result must be about the expected model and input, its outputs must
 * hash to its `outputHash` and decode as canonical tensors, and its `resultHash` must be the hash of its
 * fields. Throws REQUEST_MISMATCH, HASH_MISMATCH or BAD_RESPONSE. The Merkle proof is not checked here
 * (that is `verifyResult`, against the chain).
 */
export function checkVerifierAnswer(raw: RawVerifierAnswer, expected: ExpectedRequest): ResultLookup {
  if (raw.status === "pending" || raw.status === "rejected") return raw;
  checkSameRequest(raw, expected, "verifier");
  const computedOutputHash = keccak256(raw.outputBytes);
  if (computedOutputHash !== raw.outputHash) {
    throw new OpgSdkError("HASH_MISMATCH", "The verifier's outputs do not hash to its outputHash.", {
      meta: { claimed: raw.outputHash, computed: computedOutputHash, url: raw.verifier },
    });
  }
  const computedResultHash = resultHash(raw);
  if (computedResultHash !== raw.resultHash) {
    throw new OpgSdkError(
      "HASH_MISMATCH",
      "The verifier's resultHash is not the hash of its result fields.",
      {
        meta: { claimed: raw.resultHash, computed: computedResultHash, url: raw.verifier },
      },
    );
  }
  let outputs: TensorMap;
  try {
    outputs = decodeTensorBytes(raw.outputBytes);
  } catch (cause) {
    if (!(cause instanceof TensorError)) throw cause;
    throw new OpgSdkError(
      "BAD_RESPONSE",
      `The verifier's outputs are not canonical tensors: ${cause.shortMessage}`,
      {
        cause,
        meta: { url: raw.verifier },
      },
    );
  }
  const { batch, ...fields } = raw;
  return {
    ...fields,
    outputs,
    batchId: batch?.batchId,
    root: batch?.root,
    proof: batch?.proof,
    settlementTx: batch?.settlementTx,
  };
}

function hashOutputs(outputs: TensorMap, service: string, url: string): Hex {
  try {
    return keccak256(encodeTensors(outputs));
  } catch (cause) {
    if (!(cause instanceof TensorError)) throw cause;
    throw new OpgSdkError(
      "BAD_RESPONSE",
      `The ${service}'s outputs break the tensor rules: ${cause.shortMessage}`,
      {
        cause,
        meta: { url },
      },
    );
  }
}
