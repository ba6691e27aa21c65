import type { ProofMode } from "@opg/protocol";
import type { Address, Hash, Hex } from "viem";

/** The request record committed by the hub and emitted in `InferenceRequested`; pass it back to deliver/refund. */
export type InferenceRequestRecord = {
  requester: Address;
  /** sha256 of the ONNX file (the listing's model). */
  modelId: Hex;
  /** The ModelRegistry listing the request names (its verifier, measurements and price apply). */
  listingId: Hex;
  inputHash: Hex;
  mode: ProofMode;
  /** Consumer contract called on delivery (zero address: none). */
  callback: Address;
  callbackGasLimit: number;
  /**
   * Highest gas price (wei) at which the deliverer is reimbursed for the callback's gas; the hub escrows
   * `callbackGasLimit × callbackGasPrice` besides the fee and returns what is unused to the requester.
   */
  callbackGasPrice: bigint;
  /**
   * Unix seconds; deliverable until and including it (a result settled by then: for the hub's
   * DELIVERY_GRACE after it), refundable once the grace period is over.
   */
  deadline: bigint;
  /** Escrowed fee, wei (paid to the executor and, for a quorum-settled result, the settling verifier). */
  fee: bigint;
};

/** A decoded `InferenceRequested` event with where it was emitted. */
export type InferenceRequestedEvent = {
  requestId: Hex;
  modelId: Hex;
  requester: Address;
  request: InferenceRequestRecord;
  /** Canonical tensor encoding of the inputs when sent inline; `0x` otherwise. */
  input: Hex;
  /** Where to fetch the inputs when not inline; empty otherwise. */
  inputURI: string;
  blockNumber: bigint;
  blockHash: Hash;
  logIndex: number;
  transactionHash: Hash;
};

/** A batch header as signed by verifiers (EIP-712 `BatchRoot`). */
export type BatchHeader = {
  configDigest: Hex;
  batchId: bigint;
  root: Hex;
  count: number;
};

/** A result as signed by an executor (EIP-712 `ExecutionResult`). */
export type SignedResultFields = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  mode: ProofMode;
};

export type OperatorRoleName = "executor" | "verifier";
export type OperatorStatusName = "none" | "active" | "unbonding";

/** An operator record of the OperatorRegistry, keyed by its owner. */
export type Operator = {
  owner: Address;
  signer: Address;
  role: OperatorRoleName | undefined;
  status: OperatorStatusName;
  /** While unbonding: earliest withdrawal time (unix seconds). */
  unbondAt: bigint;
  stake: bigint;
};

/** What the registry knows about a signing key. */
export type SignerInfo = {
  owner: Address;
  /** When the key stopped being current (0 while current). */
  retiredAt: bigint;
  burned: boolean;
};

/** The active verifier set. */
export type VerifierSet = {
  configDigest: Hex;
  configCount: bigint;
  /** A batch needs f + 1 signatures of the set. */
  f: number;
  signers: readonly Address[];
};

/** A model listing of the ModelRegistry (owned by its publisher). */
export type ListingInfo = {
  listingId: Hex;
  /** sha256 of the ONNX file. */
  modelId: Hex;
  /** The publisher. */
  owner: Address;
  /** Bitmask of supported proof modes (bit i = mode i). */
  modes: number;
  /** Minimum fee per request, wei. */
  price: bigint;
  /** The listing's IZkVerifier adapter (set once); zero address when none. */
  zkVerifier: Address;
  /** extcodehash of `zkVerifier` pinned when it was set. */
  zkVerifierCodeHash: Hex;
  weightsCommitment: Hex;
  /** keccak256 of the Groth16 verification key (see `vkHash` of @opg/zk); zero when none. */
  vkHash: Hex;
  /** Whether f + 1 verifiers sealed `vkHash` (settleWithProof needs it). */
  zkKeySealed: boolean;
  /** sha256 of the sealed ceremony's final zkey; zero until sealed. */
  transcriptHash: Hex;
  metadataURI: string;
};

/** What f + 1 verifiers sign to seal a listing's verification key (EIP-712 `ZkKeySeal`). */
export type ZkKeySeal = {
  listingId: Hex;
  vkHash: Hex;
  transcriptHash: Hex;
  configDigest: Hex;
};

export type RequestStatusName = "none" | "pending" | "delivered" | "refunded";

/** What f + 1 verifiers sign to register an enclave key (EIP-712 `EnclaveRegistration`). */
export type EnclaveRegistrationRecord = {
  enclave: Address;
  /** keccak256 of the enclave's PCRs. */
  measurement: Hex;
  /** Unix seconds. */
  expiresAt: bigint;
  configDigest: Hex;
};

/** Per-call options of a write. */
export type WriteOptions = {
  /** Gives up the send (ChainError `ABORTED`); the transaction may still be mined. */
  signal?: AbortSignal | undefined;
  /** What the transaction is called in logs and metrics (default: the function's name). */
  label?: string | undefined;
};
