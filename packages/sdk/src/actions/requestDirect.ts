import {
  type InferenceRequest,
  type InferRequestBody,
  ProofMode,
  proofModeName,
  tensorsToJson,
} from "@opg/protocol";
import { checkExecutorAnswer } from "../client/answers.js";
import {
  checkHex32,
  endpoint,
  missing,
  randomNonce,
  refuseUnbindableZkInputs,
  toMode,
} from "../client/args.js";
import type { ClientContext } from "../client/ClientContext.js";
import { signDirectRequest } from "../client/signDirectRequest.js";
import type { DirectRequestParams, DirectResult } from "../client/types.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { fetchJson, remoteError } from "../http/fetchJson.js";
import { encodeTensorInput } from "../tensors/tensorInput.js";

const DEFAULT_TTL_SECONDS = 3_600;

/**
 * Sends a signed direct request to the executor (`POST /v1/infer`) and returns its answer, checked: the
 * requestId is recomputed here, the outputs must hash to the signed outputHash, the `ExecutionResult`
 * signature must recover to the executor it names, and (by default) that key must be an active
 * executor on chain.
 */
export async function requestDirect(ctx: ClientContext, params: DirectRequestParams): Promise<DirectResult> {
  const execUrl = ctx.o.execUrl;
  if (execUrl === undefined) throw missing("execUrl", "requestDirect");
  const account = ctx.requireAccount("requestDirect");
  const modelId = checkHex32(params.modelId, "modelId");
  const mode = toMode(params.mode);
  const encoded = encodeTensorInput(params.inputs);
  if (mode === ProofMode.ZK) refuseUnbindableZkInputs(encoded.tensors);
  const request: InferenceRequest = {
    requester: account.address,
    modelId,
    inputHash: encoded.hash,
    mode,
    nonce: params.nonce ?? randomNonce(),
    deadline:
      params.deadline !== undefined
        ? BigInt(params.deadline)
        : BigInt(Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? DEFAULT_TTL_SECONDS)),
  };
  if (request.nonce < 0n || request.nonce >= 2n ** 256n) {
    throw new OpgSdkError("INVALID_ARGUMENT", "nonce must be a uint256.");
  }
  const domain = await ctx.domain();
  const { requestId, signature } = await signDirectRequest(account, domain, request);
  const url = endpoint(execUrl, "v1/infer?encoding=base64");
  const answer = await fetchJson(
    "executor",
    url,
    {
      method: "POST",
      body: {
        request: {
          ...request,
          mode: proofModeName(request.mode),
          nonce: request.nonce.toString(),
          deadline: request.deadline.toString(),
        },
        signature,
        inputs: tensorsToJson(encoded.tensors, "base64"),
      } satisfies InferRequestBody,
    },
    { fetch: ctx.o.fetch, timeoutMs: ctx.o.executorTimeoutMs, signal: params.signal },
  );
  if (answer.status !== 200) throw remoteError("executor", answer, "The direct request failed");
  const checked = checkExecutorAnswer(
    domain,
    { requestId, modelId, inputHash: encoded.hash, mode },
    answer.body,
    answer.url,
  );
  if (params.checkExecutor ?? true) await ctx.assertActiveExecutor(checked.executor);
  ctx.remember(requestId, { modelId, inputHash: encoded.hash });
  return { ...checked, request, requestSignature: signature };
}
