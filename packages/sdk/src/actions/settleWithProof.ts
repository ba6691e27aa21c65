import { ProofMode } from "@opg/protocol";
import { type Hex, keccak256 } from "viem";
import { checkExecutorAnswer } from "../client/answers.js";
import { checkHex32, endpoint, missing } from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import type { Delivery, SettleWithProofOptions } from "../client/types.js";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { fetchJson, remoteError } from "../http/fetchJson.js";
import { delivery } from "./delivery.js";
import { findRequest } from "./findRequest.js";

/**
 * Settles an on-chain ZK request by its proof alone (`hub.settleWithProof`), without the verifiers'
 * quorum: reads the executor's result (`GET /v1/results/:requestId`: signed fields, outputs, and the proof
 * with its input in the model's on-chain format), checks it like a direct answer (hashes, signature,
 * same request) plus the input against the request's inputHash, then sends the transaction. The model's
 * ZK adapter verifies the Groth16 proof on chain; the hub pays the executor and calls the callback.
 */
export async function settleWithProof(
  ctx: ClientContext,
  requestId: Hex,
  options: SettleWithProofOptions = {},
): Promise<Delivery> {
  const id = checkHex32(requestId, "requestId");
  const execUrl = options.execUrl ?? ctx.o.execUrl;
  if (execUrl === undefined) throw missing("execUrl", "settleWithProof");
  const hub = await ctx.hubWriter();
  const record = options.request ?? ctx.recall(id)?.record ?? (await findRequest(ctx, id, options)).request;
  if (record.mode !== ProofMode.ZK) {
    throw new OpgSdkError("INVALID_ARGUMENT", `Request ${id} is not a ZK-mode request.`);
  }
  const res = await fetchJson(
    "executor",
    endpoint(execUrl, `v1/results/${id}?encoding=base64`),
    { method: "GET" },
    { fetch: ctx.o.fetch, timeoutMs: ctx.o.executorTimeoutMs, signal: options.signal },
  );
  if (res.status !== 200) throw remoteError("executor", res, "Reading the result");
  const answer = checkExecutorAnswer(
    await ctx.domain(),
    { requestId: id, modelId: record.modelId, inputHash: record.inputHash, mode: ProofMode.ZK },
    res.body,
    res.url,
  );
  const settlement = answer.proof.settlement;
  if (settlement === undefined) {
    throw new OpgSdkError("BAD_RESPONSE", "The executor's answer carries no ZK proof to settle with.", {
      meta: { url: res.url },
    });
  }
  if (keccak256(settlement.input) !== record.inputHash.toLowerCase()) {
    throw new OpgSdkError("HASH_MISMATCH", "The proof's input is not the request's input.");
  }
  if (keccak256(settlement.output) !== answer.outputHash) {
    throw new OpgSdkError("HASH_MISMATCH", "The settlement output is not the signed output.");
  }
  const tx = await onChain("settleWithProof", () =>
    hub.settleWithProof({
      requestId: id,
      request: record,
      input: settlement.input,
      output: settlement.output,
      executor: answer.executor,
      zkProof: settlement.zkProof,
    }),
  );
  return delivery(id, tx, { ...answer, batchId: 0n });
}
