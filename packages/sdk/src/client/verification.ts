import { ResultBatchTree, type ResultFields, resultHash, TensorError, type TensorMap } from "@opg/protocol";
import { type Hex, keccak256, zeroHash } from "viem";
import { decodeTensorBytes } from "../tensors/tensorInput.js";
import type { ClaimedBatch, ClaimedResult, ExpectedRequest } from "./answers.js";
import type { ResultVerification, VerificationFailureCode } from "./types.js";

/** A verifier's answer that names a settled batch. */
export type SettledAnswer = ClaimedResult & { batch: ClaimedBatch };

/** The local half of a verification: everything but the hub's own answer. */
export type LocalAssessment = {
  /** The leaf values as computed here (outputHash from the received bytes). */
  fields: ResultFields;
  proof: Hex[];
  batchId: bigint;
  /** Whether the hub's view is worth asking (the batch has a root on chain). */
  onChain: boolean;
  failures: { code: VerificationFailureCode; message: string }[];
  outputs: TensorMap | undefined;
  build: (hubSaysIncluded: boolean) => ResultVerification;
};

/**
 * Recomputes a result's leaf from what was received, independently of the verifier's claims: the
 * outputHash is keccak256 of the received outputs, the resultHash is recomputed, and the Merkle proof is
 * checked against `onchainRoot` (read from the hub, never the verifier's root). `build` adds the hub's
 * `verifyResult` answer and yields `verified: true` only when every check passed.
 */
export function assessInclusion(
  answer: SettledAnswer,
  onchainRoot: Hex,
  expected: ExpectedRequest,
): LocalAssessment {
  const failures: { code: VerificationFailureCode; message: string }[] = [];
  const outputHash = keccak256(answer.outputBytes);
  const fields: ResultFields = {
    requestId: answer.requestId,
    modelId: answer.modelId,
    inputHash: answer.inputHash,
    outputHash,
    executor: answer.executor,
  };
  const computedResultHash = resultHash(fields);

  for (const key of ["modelId", "inputHash"] as const) {
    const want = expected[key];
    if (want !== undefined && want.toLowerCase() !== answer[key]) {
      failures.push({
        code: "REQUEST_MISMATCH",
        message: `The result is for another ${key} than the request's.`,
      });
    }
  }
  if (outputHash !== answer.outputHash) {
    failures.push({
      code: "HASH_MISMATCH",
      message: "The outputs do not hash to the outputHash the verifier claims.",
    });
  } else if (computedResultHash !== answer.resultHash) {
    failures.push({
      code: "HASH_MISMATCH",
      message: "The verifier's resultHash is not the hash of the result fields.",
    });
  }
  const onChain = onchainRoot !== zeroHash;
  if (!onChain) {
    failures.push({
      code: "BATCH_NOT_ON_CHAIN",
      message: `Batch ${answer.batch.batchId} has no root on chain (not settled, or the RPC lags behind).`,
    });
  } else if (onchainRoot !== answer.batch.root) {
    failures.push({
      code: "ROOT_MISMATCH",
      message: "The verifier's root differs from the root settled on chain.",
    });
  }
  let proofOk = false;
  if (onChain) {
    try {
      proofOk = ResultBatchTree.verify(onchainRoot, fields, answer.batch.proof);
    } catch {
      proofOk = false;
    }
    if (!proofOk) {
      failures.push({
        code: "PROOF_INVALID",
        message: "The Merkle proof does not lead from the recomputed leaf to the on-chain root.",
      });
    }
  }
  let outputs: TensorMap | undefined;
  try {
    outputs = decodeTensorBytes(answer.outputBytes);
  } catch (error) {
    if (!(error instanceof TensorError)) throw error;
    failures.push({
      code: "BAD_OUTPUTS",
      message: `The outputs are not canonical tensors: ${error.shortMessage}`,
    });
  }

  const common = {
    requestId: answer.requestId,
    batchId: answer.batch.batchId,
    root: onchainRoot,
    claimedRoot: answer.batch.root,
    modelId: answer.modelId,
    inputHash: answer.inputHash,
    outputHash,
    executor: answer.executor,
    resultHash: computedResultHash,
    mode: answer.mode,
    proof: answer.batch.proof,
    outputBytes: answer.outputBytes,
    settlementTx: answer.batch.settlementTx,
    verifier: answer.verifier,
  };
  return {
    fields,
    proof: answer.batch.proof,
    batchId: answer.batch.batchId,
    onChain,
    failures,
    outputs,
    build(hubSaysIncluded: boolean): ResultVerification {
      const all = [...failures];
      if (onChain && !hubSaysIncluded) {
        all.push({
          code: "HUB_REJECTED",
          message: "The hub's verifyResult view does not confirm the inclusion.",
        });
      }
      const [failure] = all;
      if (failure === undefined && outputs !== undefined) {
        return { ...common, verified: true, outputs, failure: undefined };
      }
      return {
        ...common,
        verified: false,
        outputs,
        failure: failure ?? { code: "BAD_OUTPUTS", message: "The outputs could not be decoded." },
      };
    },
  };
}
