import type { InferenceRequestRecord, TxSenderOptions } from "@opg/chain";
import type { InferenceRequest, ProofMode, ProofModeName, TensorMap } from "@opg/protocol";
import type { Address, Hex, LocalAccount } from "viem";
import type { TensorInput } from "../tensors/tensorInput.js";

/** Options of {@link createOpgClient}. */
export type OpgClientOptions = {
  /** JSON-RPC endpoint of the chain (http or https). */
  rpcUrl: string;
  /** Address of the InferenceHub (it is also the EIP-712 `verifyingContract`). */
  hub: Address;
  /**
   * The model publisher this dApp trusts: on-chain requests that name a `modelId` instead of a
   * `listingId` go to this publisher's latest listing of the model (its verifier, enclave
   * measurements and price). Listings of the same file by anyone else are never used.
   */
  publisher?: Address | undefined;
  /** Base URL of an executor (`opg-exec` HTTP API), for {@link OpgClient.requestDirect}. */
  execUrl?: string | undefined;
  /** Base URL of one or more verifiers (`opg-verify` HTTP API), asked in order. */
  verifyUrl?: string | readonly string[] | undefined;
  /** Who signs direct requests and sends transactions: a viem LocalAccount or a private key. */
  account?: LocalAccount | Hex | undefined;
  /** Expected chain id; checked against the RPC on first use (default: whatever the RPC serves). */
  chainId?: number | undefined;
  /** Timeout of one call to the executor (it runs the model and proves: default 300 s). */
  executorTimeoutMs?: number | undefined;
  /** Timeout of one call to a verifier (default 10 s). */
  verifierTimeoutMs?: number | undefined;
  /** Timeout of one JSON-RPC call (default 10 s). */
  rpcTimeoutMs?: number | undefined;
  /** Interval between polls of `waitForResult` / `waitForSettlement` (default 500 ms). */
  pollIntervalMs?: number | undefined;
  /** Options of the transaction sender (`@opg/chain` TxSender): confirmations, fee cap, receipt timeout… */
  tx?: Partial<TxSenderOptions> | undefined;
  /** fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
};

/** A proof mode by code (0, 1, 2) or name ("NONE", "ZK", "TEE"). */
export type ModeInput = ProofMode | ProofModeName;

/**
 * What {@link OpgClient.requestOnChain} takes: the listing the request trusts (`listingId`), or a
 * `modelId` resolved to the latest listing of the pinned `publisher` (of the call, else of the client).
 */
export type OnChainRequestParams = {
  listingId?: Hex | undefined;
  modelId?: Hex | undefined;
  /** Overrides the client's `publisher` for this request. */
  publisher?: Address | undefined;
  inputs: TensorInput;
  /** Default NONE. */
  mode?: ModeInput | undefined;
  /** IInferenceConsumer called on delivery (default none). */
  callback?: Address | undefined;
  /** Gas given to the callback (default 200 000 with a callback, 0 without). */
  callbackGasLimit?: number | undefined;
  /**
   * Highest gas price (wei) the deliverer is reimbursed at for the callback's gas (default: twice the
   * chain's current gas price when there is a callback gas limit). `callbackGasLimit × callbackGasPrice`
   * is sent besides the fee and escrowed; the unused part is credited back to the requester.
   */
  callbackGasPrice?: bigint | undefined;
  /** Unix seconds until which the result can be delivered (default: latest block time + `ttlSeconds`). */
  deadline?: bigint | number | undefined;
  /** Used when `deadline` is absent (default 3600). */
  ttlSeconds?: number | undefined;
  /** Fee in wei (default: the listing's price from the ModelRegistry); the callback gas escrow is added. */
  fee?: bigint | undefined;
  /** Send the inputs by reference (`requestInferenceByRef`): executors fetch them from this URI. */
  inputURI?: string | undefined;
};

/** What {@link OpgClient.requestOnChain} returns. */
export type OnChainRequest = {
  /** Assigned by the hub: keccak256(abi.encode(chainId, hub, nonce)). */
  requestId: Hex;
  /** The committed record (from `InferenceRequested`); `deliver` and `refund` take it back. */
  request: InferenceRequestRecord;
  txHash: Hex;
  blockNumber: bigint;
  /** keccak256 of the canonical encoding of the inputs. */
  inputHash: Hex;
  /** Canonical encoding of the inputs. */
  input: Hex;
};

/** What {@link OpgClient.requestDirect} takes. */
export type DirectRequestParams = {
  modelId: Hex;
  inputs: TensorInput;
  /** Default NONE. */
  mode?: ModeInput | undefined;
  /** Unix seconds after which executors must not serve it (default now + `ttlSeconds`). */
  deadline?: bigint | number | undefined;
  /** Used when `deadline` is absent (default 3600). */
  ttlSeconds?: number | undefined;
  /** Requester nonce (default: 128 random bits). Same nonce, model and inputs = same request. */
  nonce?: bigint | undefined;
  /** Check on chain that the executor's key is an active registered executor (default true). */
  checkExecutor?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** The fields that identify one result (its Merkle leaf values) plus its hash and mode. */
export type ResultFieldsWithHash = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  /** The executor's signing address. */
  executor: Address;
  /** keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor)). */
  resultHash: Hex;
  mode: ProofMode;
};

/** What {@link OpgClient.requestDirect} returns: the executor's answer, checked. */
export type DirectResult = ResultFieldsWithHash & {
  /** Outputs as typed tensors (their canonical encoding hashes to `outputHash`). */
  outputs: TensorMap;
  /** The signed request (its EIP-712 digest is `requestId`). */
  request: InferenceRequest;
  /** The requester's signature over `request`. */
  requestSignature: Hex;
  /** The executor's EIP-712 `ExecutionResult` signature (recovers to `executor`). */
  signature: Hex;
  /** Proof status as the executor reports it (the verifiers check the proof itself). */
  proof: { mode: ProofMode; bytes: number; status: "none" | "attached" };
};

/** A result as a verifier reports it (outputs checked against `outputHash`, `resultHash` recomputed). */
export type VerifierResult = ResultFieldsWithHash & {
  status: "verified" | "settled";
  outputs: TensorMap;
  /** Canonical encoding of the outputs (what `deliver` passes on chain). */
  outputBytes: Hex;
  /** Present once settled: the batch, its root and the Merkle proof of this result. */
  batchId: bigint | undefined;
  root: Hex | undefined;
  proof: Hex[] | undefined;
  settlementTx: Hex | null | undefined;
  /** The verifier that answered. */
  verifier: string;
};

/** A result in a settled batch (per the verifier; {@link OpgClient.verifyResult} checks it on chain). */
export type SettledResult = VerifierResult & {
  status: "settled";
  batchId: bigint;
  root: Hex;
  proof: Hex[];
  settlementTx: Hex | null;
};

/** One look at a result at the verifiers ({@link OpgClient.getResult}). */
export type ResultLookup =
  | { status: "pending"; requestId: Hex }
  | { status: "rejected"; requestId: Hex; reason: { code: string; message: string }; verifier: string }
  | VerifierResult;

/** Options of the waiting calls. */
export type WaitOptions = {
  /** Give up after this long (default 120 s): `TIMEOUT`, or `VERIFIER_UNREACHABLE` if none answered. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Default: the client's `pollIntervalMs`. */
  pollIntervalMs?: number | undefined;
};

/** Why {@link OpgClient.verifyResult} answered `verified: false`. */
export type VerificationFailureCode =
  /** The batch has no root on chain (not settled, or the RPC lags behind). */
  | "BATCH_NOT_ON_CHAIN"
  /** The verifier's root differs from the on-chain root. */
  | "ROOT_MISMATCH"
  /** The outputs do not hash to the claimed outputHash, or the resultHash is not theirs. */
  | "HASH_MISMATCH"
  /** The result is about another model or input than the request (as this client knows it). */
  | "REQUEST_MISMATCH"
  /** The Merkle proof does not lead from the locally computed leaf to the on-chain root. */
  | "PROOF_INVALID"
  /** The hub's `verifyResult` view said false. */
  | "HUB_REJECTED"
  /** The outputs hash and prove correctly but are not a canonical tensor encoding. */
  | "BAD_OUTPUTS";

type VerificationCommon = {
  requestId: Hex;
  batchId: bigint;
  /** The root read from the hub (zero hash when the batch is unknown there). */
  root: Hex;
  /** The root the verifier claimed. */
  claimedRoot: Hex;
  modelId: Hex;
  inputHash: Hex;
  /** keccak256 of the outputs as received (not the verifier's claim). */
  outputHash: Hex;
  executor: Address;
  /** Recomputed from the fields above. */
  resultHash: Hex;
  mode: ProofMode;
  proof: Hex[];
  outputBytes: Hex;
  settlementTx: Hex | null;
  /** The verifier that answered. */
  verifier: string;
};

/** What {@link OpgClient.verifyResult} returns. Only `verified: true` means inclusion was proven on chain. */
export type ResultVerification =
  | (VerificationCommon & { verified: true; outputs: TensorMap; failure: undefined })
  | (VerificationCommon & {
      verified: false;
      /** Decoded when they are a canonical encoding; untrusted. */
      outputs: TensorMap | undefined;
      failure: { code: VerificationFailureCode; message: string };
    });

/** Options of {@link OpgClient.verifyResult}. */
export type VerifyOptions = {
  /** What the result must be about (default: what this client remembers of its own requests). */
  expected?: { modelId?: Hex | undefined; inputHash?: Hex | undefined } | undefined;
  signal?: AbortSignal | undefined;
};

/** Options of {@link OpgClient.deliver} and {@link OpgClient.findRequest}. */
export type DeliverOptions = {
  /** The request record (default: remembered from `requestOnChain`, else read from `InferenceRequested`). */
  request?: InferenceRequestRecord | undefined;
  /** First block to search for `InferenceRequested` (default 0; providers may cap log ranges). */
  fromBlock?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** Options of {@link OpgClient.settleWithProof}. */
export type SettleWithProofOptions = DeliverOptions & {
  /** The executor to take the result and its proof from (default: the client's `execUrl`). */
  execUrl?: string | undefined;
};

/** What {@link OpgClient.deliver} and {@link OpgClient.settleWithProof} (batchId 0) return. */
export type Delivery = {
  requestId: Hex;
  txHash: Hex;
  blockNumber: bigint;
  /** Whether the consumer's callback ran without reverting (false when there is none). */
  callbackSuccess: boolean;
  batchId: bigint;
  executor: Address;
  outputHash: Hex;
  outputs: TensorMap;
  gasUsed: bigint;
};
