import type { Hex } from "viem";
import * as z from "zod";
import type { InferenceRequest } from "../eip712/types.js";
import { proofModeName } from "../mode.js";
import type { JsonTensorMap } from "../tensor/json.js";
import {
  addressSchema,
  hex32Schema,
  hexBytesSchema,
  proofModeSchema,
  signatureSchema,
  uintSchema,
} from "./apiFields.js";

/**
 * `POST /v1/infer` (opg-exec): a direct request signed by its requester (EIP-712 InferenceRequest)
 * and its inputs as JSON tensors (parsed with `tensorsFromJson`, which applies the tensor limits).
 */
export const inferRequestBodySchema = z.object({
  request: z.object({
    requester: addressSchema,
    modelId: hex32Schema,
    mode: proofModeSchema,
    nonce: uintSchema,
    deadline: uintSchema,
    /** Optional: when given it must equal the hash of `inputs`. */
    inputHash: hex32Schema.optional(),
  }),
  signature: signatureSchema,
  inputs: z.unknown(),
});

/** What InferenceHub.settleWithProof takes from a ZK result besides the request record. */
export const zkSettlementSchema = z.object({
  input: hexBytesSchema,
  output: hexBytesSchema,
  zkProof: hexBytesSchema,
});

/**
 * opg-exec's answer for one result: `POST /v1/infer` and `GET /v1/results/:requestId`. `outputs` are
 * JSON tensors (arrays, or base64 with `?encoding=base64`); `proof.data` is the mode's proof bytes
 * (absent in mode NONE) and `proof.settlement` what a ZK result is settled with on chain.
 */
export const executorResultSchema = z.object({
  requestId: hex32Schema,
  modelId: hex32Schema,
  inputHash: hex32Schema,
  outputHash: hex32Schema,
  resultHash: hex32Schema,
  executor: addressSchema,
  mode: proofModeSchema,
  signature: signatureSchema,
  proof: z.object({
    mode: proofModeSchema,
    bytes: z.number().int().nonnegative(),
    status: z.enum(["none", "attached"]),
    data: hexBytesSchema.optional(),
    settlement: zkSettlementSchema.optional(),
  }),
  outputs: z.unknown(),
  /** False when the stored result of an earlier run is answered (the same request asked again). */
  fresh: z.boolean(),
});

/** The JSON an executor sends for a result (mode by name). */
export type ExecutorResultBody = z.input<typeof executorResultSchema>;
/** An executor's answer once parsed (mode as its `ProofMode` code). */
export type ExecutorResult = z.output<typeof executorResultSchema>;
/** What `InferenceHub.settleWithProof` needs from a ZK result besides the request record. */
export type ZkSettlement = z.output<typeof zkSettlementSchema>;
/** The JSON body of `POST /v1/infer`. */
export type InferRequestBody = z.input<typeof inferRequestBodySchema>;

/**
 * The JSON body of `POST /v1/infer` for a request signed by its requester: the mode by name, the
 * uint256 fields as decimal strings, the inputs as JSON tensors (`tensorsToJson`).
 */
export function inferRequestBody(
  request: InferenceRequest,
  signature: Hex,
  inputs: JsonTensorMap,
): InferRequestBody {
  return {
    request: {
      requester: request.requester,
      modelId: request.modelId,
      inputHash: request.inputHash,
      mode: proofModeName(request.mode),
      nonce: request.nonce.toString(),
      deadline: request.deadline.toString(),
    },
    signature,
    inputs,
  };
}
