/**
 * @opg/sdk: the client for dApp and app developers. Request inference on chain or directly from an
 * executor, wait for verification and settlement, verify results against the chain, deliver them.
 */

export { MAX_INLINE_INPUT_BYTES } from "./actions/requestOnChain.js";
export type {
  ClaimedBatch,
  ClaimedResult,
  ExpectedRequest,
  RawVerifierAnswer,
  ZkSettlement,
} from "./client/answers.js";
export { checkExecutorAnswer, checkVerifierAnswer, parseVerifierAnswer } from "./client/answers.js";
export { toMode } from "./client/args.js";
export { OpgClient } from "./client/OpgClient.js";
export { signDirectRequest } from "./client/signDirectRequest.js";
export type {
  DeliverOptions,
  Delivery,
  DirectRequestParams,
  DirectResult,
  ModeInput,
  OnChainRequest,
  OnChainRequestParams,
  OpgClientOptions,
  ResultFieldsWithHash,
  ResultLookup,
  ResultVerification,
  SettledResult,
  SettleWithProofOptions,
  VerificationFailureCode,
  VerifierResult,
  VerifyOptions,
  WaitOptions,
} from "./client/types.js";
export type { LocalAssessment, SettledAnswer } from "./client/verification.js";
export { assessInclusion } from "./client/verification.js";
export { createOpgClient } from "./createOpgClient.js";
export { fromChainError } from "./errors/fromChainError.js";
export type { OpgSdkErrorOptions, SdkErrorCode } from "./errors/OpgSdkError.js";
export { isOpgSdkError, OpgSdkError } from "./errors/OpgSdkError.js";
export type { EncodedTensors, TensorInput } from "./tensors/tensorInput.js";
export { decodeTensorBytes, encodeTensorInput, toTensorMap } from "./tensors/tensorInput.js";
