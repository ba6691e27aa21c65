export type { ApiErrorBody } from "./api/apiError.js";
export { apiErrorSchema } from "./api/apiError.js";
export {
  addressSchema,
  decimalIdSchema,
  hex32Schema,
  hexBytesSchema,
  proofModeSchema,
  signatureSchema,
  uintSchema,
} from "./api/apiFields.js";
export type { ExecutorResult, ExecutorResultBody, InferRequestBody, ZkSettlement } from "./api/inferApi.js";
export {
  executorResultSchema,
  inferRequestBody,
  inferRequestBodySchema,
  zkSettlementSchema,
} from "./api/inferApi.js";
export type {
  BatchListBody,
  ResultListBody,
  VerifierBatchBody,
  VerifierResult,
  VerifierResultBody,
} from "./api/verifierApi.js";
export {
  batchListSchema,
  merkleProofSchema,
  rejectionReasonSchema,
  resultListSchema,
  verifierBatchSchema,
  verifierResultSchema,
} from "./api/verifierApi.js";
export type { VerifierConfig } from "./config/configDigest.js";
export { configDigest } from "./config/configDigest.js";
export {
  batchRootDigest,
  batchRootStructHash,
  directRequestId,
  domainSeparator,
  enclaveRegistrationDigest,
  enclaveRegistrationStructHash,
  executionResultDigest,
  executionResultStructHash,
  inferenceRequestDigest,
  inferenceRequestStructHash,
  TYPE_HASHES,
  TYPE_STRINGS,
} from "./eip712/digest.js";
export type {
  AuthenticateDirectRequestOptions,
  DirectRequestErrorCode,
} from "./eip712/directRequest.js";
export { authenticateDirectRequest, DirectRequestError } from "./eip712/directRequest.js";
export type { SignatureErrorCode } from "./eip712/SignatureError.js";
export { SignatureError } from "./eip712/SignatureError.js";
export type { Secp256k1Backend } from "./eip712/secp256k1Backend.js";
export {
  nobleSecp256k1Backend,
  secp256k1Backend,
  useSecp256k1Backend,
} from "./eip712/secp256k1Backend.js";
export {
  recoverBatchRootSigner,
  recoverEnclaveRegistrationSigner,
  recoverExecutionResultSigner,
  recoverInferenceRequestSigner,
  signBatchRoot,
  signEnclaveRegistration,
  signExecutionResult,
  signInferenceRequest,
} from "./eip712/sign.js";
export { assertDigestSigner, recoverDigestSigner, signDigest } from "./eip712/signature.js";
export type {
  BatchRoot,
  EnclaveRegistration,
  ExecutionResult,
  InferenceRequest,
  OpgDomain,
  PrimaryType,
} from "./eip712/types.js";
export { EIP712_NAME, EIP712_TYPES, EIP712_VERSION, toTypedDataDomain } from "./eip712/types.js";
export type { OpgErrorOptions, ValidationAction } from "./errors.js";
export { OpgError, RetryableError, ValidationError } from "./errors.js";
export type { KeccakBackend } from "./hash/keccak.js";
export { jsKeccakBackend, keccak256Bytes, keccakBackend, useKeccakBackend } from "./hash/keccak.js";
export { modelIdFromBytes } from "./hash/modelId.js";
export type { ResultFields } from "./hash/resultHash.js";
export { RESULT_ABI_TYPES, resultHash, resultValues } from "./hash/resultHash.js";
export type { Sha256Backend } from "./hash/sha256.js";
export { jsSha256Backend, sha256Backend, useSha256Backend } from "./hash/sha256.js";
export { hashEncodedTensors, hashTensors } from "./hash/tensorHash.js";
export type { LogFn, Logger } from "./logger.js";
export { noopLogger } from "./logger.js";
export { ResultBatchTree, resultLeaf } from "./merkle/ResultBatchTree.js";
export type { ProofModeName } from "./mode.js";
export { isProofMode, ProofMode, parseProofMode, proofModeName } from "./mode.js";
export { base64ToBytes, bytesToBase64 } from "./tensor/base64.js";
export type { DType, Tensor, TensorData, TensorDataByDType, TensorMap } from "./tensor/dtype.js";
export { allocTensorData, DTYPES, dtypeFromCode, isDType, TENSOR_ARRAY_TYPES } from "./tensor/dtype.js";
export { decodeTensors, encodeTensors, TENSOR_ENCODING_VERSION } from "./tensor/encoding.js";
export type { JsonTensor, JsonTensorMap } from "./tensor/json.js";
export { tensorsFromJson, tensorsToJson } from "./tensor/json.js";
export type { TensorLimits } from "./tensor/limits.js";
export { DEFAULT_TENSOR_LIMITS } from "./tensor/limits.js";
export type { TensorErrorCode } from "./tensor/TensorError.js";
export { TensorError } from "./tensor/TensorError.js";
export { unbindableZkInput, ZK_INPUT_DTYPES } from "./tensor/zkInputs.js";
export type { BatchTopicMessage } from "./wire/codec.js";
export {
  decodeBatchProposalMessage,
  decodeBatchSignatureMessage,
  decodeBatchTopicMessage,
  decodeCeremonyAnnouncementMessage,
  decodeEnclaveRegistrationSignatureMessage,
  decodeResultMessage,
  encodeBatchProposalMessage,
  encodeBatchSignatureMessage,
  encodeCeremonyAnnouncementMessage,
  encodeEnclaveRegistrationSignatureMessage,
  encodeResultMessage,
} from "./wire/codec.js";
export type {
  BatchProposalMessage,
  BatchSignatureMessage,
  CeremonyAnnouncementMessage,
  EnclaveRegistrationSignatureMessage,
  ResultMessage,
  ResultOrigin,
} from "./wire/messages.js";
export { MessageKind, WIRE_LIMITS, WIRE_VERSION } from "./wire/messages.js";
export type { GossipTopics } from "./wire/topics.js";
export { gossipTopics } from "./wire/topics.js";
export type { WireErrorCode } from "./wire/WireError.js";
export { WireError } from "./wire/WireError.js";
