import { HttpError, type HttpServer } from "@opg/daemon";
import {
  authenticateDirectRequest,
  DirectRequestError,
  type ExecutorResultBody,
  encodeTensors,
  hashEncodedTensors,
  inferRequestBodySchema,
  type OpgDomain,
  ProofMode,
  proofModeName,
  TensorError,
  type TensorMap,
  tensorsFromJson,
  tensorsToJson,
  unbindableZkInput,
} from "@opg/protocol";
import { decodeZkProof, settlementProof } from "@opg/zk";
import { bytesToHex, type Hex } from "viem";
import type { ExecOutcome, ExecutorCore } from "../execution/ExecutorCore.js";

/** Checks a model is known here and on chain and allows a mode; undefined when it does. */
export type ModelGate = (modelId: Hex, mode: ProofMode) => Promise<string | undefined>;

/**
 * `POST /v1/infer`: a direct request signed by its requester (EIP-712 InferenceRequest). The
 * request id is the digest of what the requester signed, so no executor can invent or replay
 * one. Answers the outputs, their hash, the result hash and the proof status; the signed result
 * goes to the verifiers over gossip. `GET /v1/results/:requestId` answers a stored result.
 */
export function mountDirectIntake(
  http: HttpServer,
  deps: { core: ExecutorCore; domain: OpgDomain; gate: ModelGate; now?: () => number },
): void {
  http.mapErrorCodes({
    EXPIRED: 400,
    MODE_NOT_SUPPORTED: 400,
    // ZK mode: inputs the circuit cannot take (shape, dtype, range); a full proving queue.
    INVALID_INPUT: 400,
    QUANTIZATION_OVERFLOW: 400,
    PROVE_FAILED: 503,
  });

  http.route("POST", "/v1/infer", async (req) => {
    const parsed = inferRequestBodySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (issue?.path.join(".") === "request.mode") {
        throw new HttpError(400, "BAD_MODE", 'mode must be "NONE", "ZK" or "TEE".');
      }
      throw new HttpError(400, "BAD_REQUEST", "The request body is not a signed inference request.", {
        details: issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : undefined,
      });
    }
    const { request, signature } = parsed.data;
    const mode = request.mode;
    let inputs: TensorMap;
    let encoded: Uint8Array;
    try {
      inputs = tensorsFromJson(parsed.data.inputs);
      encoded = encodeTensors(inputs);
    } catch (err) {
      if (err instanceof TensorError) {
        throw new HttpError(400, "BAD_INPUTS", err.shortMessage, { details: err.details, cause: err });
      }
      throw err;
    }
    const inputHash = hashEncodedTensors(encoded);
    if (request.inputHash !== undefined && request.inputHash.toLowerCase() !== inputHash) {
      throw new HttpError(
        400,
        "INPUT_HASH_MISMATCH",
        "request.inputHash is not the hash of the inputs sent.",
      );
    }
    const typed = {
      requester: request.requester,
      modelId: request.modelId.toLowerCase() as Hex,
      inputHash,
      mode,
      nonce: request.nonce,
      deadline: request.deadline,
    };
    let requestId: Hex;
    try {
      requestId = authenticateDirectRequest(deps.domain, typed, signature);
    } catch (err) {
      if (!(err instanceof DirectRequestError)) throw err;
      throw new HttpError(401, "BAD_SIGNATURE", err.shortMessage, {
        details:
          err.code === "WRONG_SIGNER"
            ? "Sign the EIP-712 InferenceRequest (docs/protocol.md) with the requester's key, over these inputs."
            : undefined,
      });
    }
    const refusal = await deps.gate(typed.modelId, mode);
    if (refusal) throw new HttpError(400, "MODEL_NOT_SERVED", refusal);
    if (mode === ProofMode.ZK) {
      // The proof binds the float32 (quantized) or uint8 (packed) input the on-chain adapter parses:
      // float64 could pass the quorum but never settle on chain (and float64 values rounding alike
      // would share a proof).
      const bad = unbindableZkInput(inputs);
      if (bad) {
        throw new HttpError(
          400,
          "INVALID_INPUT",
          `ZK requests take float32 or uint8 inputs; input "${bad.name}" is ${bad.dtype}.`,
        );
      }
    }

    const outcome = await deps.core.execute(
      {
        ...typed,
        requestId,
        inputs,
        origin: {
          type: "direct",
          requester: typed.requester,
          nonce: typed.nonce,
          deadline: typed.deadline,
          requesterSignature: signature,
        },
      },
      req.signal,
    );
    return describe(outcome, req.query.get("encoding") === "base64" ? "base64" : "array");
  });

  http.route("GET", "/v1/results/:requestId", (req) => {
    const id = req.params["requestId"] ?? "";
    if (!/^0x[0-9a-fA-F]{64}$/.test(id)) {
      throw new HttpError(400, "BAD_REQUEST_ID", "requestId is a 0x-prefixed 32-byte hex string.");
    }
    const outcome = deps.core.stored(id as Hex);
    if (!outcome) throw new HttpError(404, "UNKNOWN_REQUEST", `No result for ${id} here.`);
    return describe(outcome, req.query.get("encoding") === "base64" ? "base64" : "array");
  });
}

/** The JSON answer for a result (`executorResultSchema` in @opg/protocol). */
export function describe(o: ExecOutcome, encoding: "array" | "base64"): ExecutorResultBody {
  const m = o.message;
  return {
    requestId: m.requestId,
    modelId: m.modelId,
    inputHash: m.inputHash,
    outputHash: m.outputHash,
    resultHash: o.resultHash,
    executor: m.executor,
    mode: proofModeName(m.mode),
    signature: m.signature,
    proof: {
      mode: proofModeName(m.mode),
      bytes: m.proof.length,
      status: m.mode === ProofMode.NONE ? "none" : "attached",
      ...(m.mode === ProofMode.NONE ? {} : { data: bytesToHex(m.proof) }),
      ...(m.mode === ProofMode.ZK ? { settlement: zkSettlement(m.proof, m.outputs) } : {}),
    },
    outputs: tensorsToJson(o.outputs, encoding),
    fresh: o.fresh,
  };
}

/**
 * What InferenceHub.settleWithProof takes from a ZK result besides the request record: the
 * request input (attached to the proof), the output bytes and the proof in the adapter's format.
 */
export function zkSettlement(
  proof: Uint8Array,
  outputs: Uint8Array,
): { input: Hex; output: Hex; zkProof: Hex } {
  const { input } = decodeZkProof(proof);
  return {
    input: input ? bytesToHex(input) : "0x",
    output: bytesToHex(outputs),
    zkProof: settlementProof(proof),
  };
}
