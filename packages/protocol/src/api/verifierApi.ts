import * as z from "zod";
import { addressSchema, decimalIdSchema, hex32Schema, hexBytesSchema, proofModeSchema } from "./apiFields.js";

/** Why a verifier refused a result: its code, message, and the underlying check's code when there is one. */
export const rejectionReasonSchema = z.object({
  code: z.string(),
  message: z.string(),
  cause: z.string().optional(),
});

/** The Merkle proof of a result in its settled batch (OpenZeppelin tree, at most 64 levels). */
export const merkleProofSchema = z.array(hex32Schema).max(64);

const pendingResultSchema = z.object({ requestId: hex32Schema, status: z.literal("pending") });

const rejectedResultSchema = z.object({
  requestId: hex32Schema,
  status: z.literal("rejected"),
  reason: rejectionReasonSchema,
});

const verifiedResultSchema = z.object({
  requestId: hex32Schema,
  status: z.enum(["verified", "settled"]),
  modelId: hex32Schema,
  inputHash: hex32Schema,
  outputHash: hex32Schema,
  executor: addressSchema,
  mode: proofModeSchema,
  resultHash: hex32Schema,
  /** The canonical encoding of the outputs. */
  outputs: hexBytesSchema,
  /** The result message's mode-specific proof bytes (for TEE the TeeProof); `0x` in mode NONE. */
  resultProof: hexBytesSchema,
  /** Settled results: the batch, its root, the Merkle proof and the settlement transaction. */
  batchId: decimalIdSchema.optional(),
  root: hex32Schema.optional(),
  /** null while this verifier does not hold every member of the batch (ask another one). */
  proof: merkleProofSchema.nullable().optional(),
  settlementTx: hex32Schema.nullable().optional(),
});

/**
 * opg-verify's `GET /v1/results/:requestId`: pending (HTTP 404), rejected, or verified / settled
 * with the result's fields, its outputs and, once settled, its batch and Merkle proof.
 */
export const verifierResultSchema = z.discriminatedUnion("status", [
  pendingResultSchema,
  rejectedResultSchema,
  verifiedResultSchema,
]);

/** opg-verify's `GET /v1/batches/:id`: a batch's root, count, members and settlement. */
export const verifierBatchSchema = z.object({
  batchId: decimalIdSchema,
  status: z.enum(["signed", "settled"]),
  root: hex32Schema,
  count: z.number().int().nonnegative(),
  configDigest: hex32Schema,
  proposer: addressSchema,
  settlementTx: hex32Schema.nullable(),
  /** Member request ids in tree order (null for a member this verifier has not seen). */
  requestIds: z.array(hex32Schema.nullable()),
});

/** opg-verify's `GET /v1/results?limit=N`: the latest results it verified and rejected, newest first. */
export const resultListSchema = z.object({
  results: z.array(
    z.object({
      requestId: hex32Schema,
      resultHash: hex32Schema,
      modelId: hex32Schema,
      mode: proofModeSchema,
      executor: addressSchema,
      status: z.enum(["verified", "settled"]),
      batchId: decimalIdSchema.nullable(),
      receivedAt: z.number(),
    }),
  ),
  rejections: z.array(
    z.object({
      requestId: hex32Schema,
      resultHash: hex32Schema,
      code: z.string(),
      reason: z.string(),
      cause: z.string().optional(),
      at: z.number(),
    }),
  ),
});

/** opg-verify's `GET /v1/batches?limit=N`: the latest batches it signed, with the signatures it holds. */
export const batchListSchema = z.object({
  batches: z.array(
    verifierBatchSchema.omit({ requestIds: true }).extend({
      createdAt: z.number(),
      signatures: z.array(z.object({ verifier: addressSchema, signature: hexBytesSchema })),
    }),
  ),
});

/** The JSON a verifier sends for `GET /v1/results/:requestId` (mode by name). */
export type VerifierResultBody = z.input<typeof verifierResultSchema>;
/** A verifier's result answer once parsed. */
export type VerifierResult = z.output<typeof verifierResultSchema>;
export type VerifierBatchBody = z.input<typeof verifierBatchSchema>;
export type ResultListBody = z.input<typeof resultListSchema>;
export type BatchListBody = z.input<typeof batchListSchema>;
