import {
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  hashTensors,
  type OpgDomain,
  ProofMode,
  type ResultMessage,
  signExecutionResult,
  signInferenceRequest,
} from "@opg/protocol";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";

/** A direct request signed by `requesterKey` and its result signed by `executorKey`, as gossip bytes. */
export function signedResult(opts: {
  domain: OpgDomain;
  requesterKey: Hex;
  executorKey: Hex;
  modelId: Hex;
  nonce: bigint;
  value?: number;
  /** Elements of the float32 output (default 2): 300 and more make outputs over 1 KiB. */
  outputLength?: number;
  mode?: ProofMode;
  deadline?: bigint;
}): { bytes: Uint8Array; message: ResultMessage } {
  const mode = opts.mode ?? ProofMode.NONE;
  const inputs = {
    x: { dtype: "float32" as const, dims: [1], data: new Float32Array([Number(opts.nonce)]) },
  };
  const y = new Float32Array(opts.outputLength ?? 2).fill(1);
  y[0] = opts.value ?? Number(opts.nonce) * 2;
  const outputs = encodeTensors({ y: { dtype: "float32", dims: [y.length], data: y } });
  const request = {
    requester: privateKeyToAddress(opts.requesterKey),
    modelId: opts.modelId,
    inputHash: hashTensors(inputs),
    mode,
    nonce: opts.nonce,
    deadline: opts.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600),
  };
  const { requestId, signature: requesterSignature } = signInferenceRequest(
    opts.requesterKey,
    opts.domain,
    request,
  );
  const result = {
    requestId,
    modelId: opts.modelId,
    inputHash: request.inputHash,
    outputHash: hashEncodedTensors(outputs),
    mode,
  };
  const message: ResultMessage = {
    ...result,
    executor: privateKeyToAddress(opts.executorKey),
    outputs,
    proof: new Uint8Array(0),
    signature: signExecutionResult(opts.executorKey, opts.domain, result),
    origin: {
      type: "direct",
      requester: request.requester,
      nonce: request.nonce,
      deadline: request.deadline,
      requesterSignature,
    },
  };
  return { bytes: encodeResultMessage(message), message };
}
