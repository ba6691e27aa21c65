import type { Address, Hex } from "viem";

/** What the verifier reads from and writes to the chain; implemented on @opg/chain. */
export interface ChainView {
  readonly chainId: number;
  readonly hub: Address;
  /** Whether `signer` is the signing key of a registered, staked, not unbonding executor. */
  isActiveExecutor(signer: Address): Promise<boolean>;
  /** The model's supported modes as a bitmask (bit `mode`), or undefined when not registered. */
  modelModes(modelId: Hex): Promise<number | undefined>;
  /** An on-chain request's terms, or undefined when the hub has no such request. */
  onchainRequest(requestId: Hex): Promise<{ modelId: Hex; inputHash: Hex; mode: number } | undefined>;
  /**
   * ZK mode: the model's registered weights commitment (ModelRegistry `zkConfig`); zero when the
   * model has none. Optional: without it ZK proofs are checked against the node's artifacts only.
   */
  zkWeightsCommitment?(modelId: Hex): Promise<Hex>;
  /** The active verifier set. */
  verifierConfig(): Promise<VerifierSet>;
  /** The last settled batch id (0 before the first); read once before each settlement attempt. */
  lastBatchId(): Promise<bigint>;
  /**
   * Follows the hub's `BatchSettled` events in chain order from the deployment block (resuming
   * after `checkpoint`), calling `onSettled` once per event; how settlements reach the node.
   */
  watchSettlements(opts: {
    onSettled: (s: { batchId: bigint; root: Hex; count: number; tx?: Hex | undefined }) => void;
    checkpoint: { load(): Promise<bigint | undefined>; save(block: bigint): Promise<void> };
  }): { start(): Promise<void>; stop(): Promise<void> };
  /** Submits `settleBatch`; resolves with the mined transaction hash. */
  settleBatch(header: BatchHeader, signatures: readonly Hex[], signal?: AbortSignal): Promise<Hex>;
  /** Submits executor equivocation evidence; resolves with the mined transaction hash. */
  challengeExecutor(evidence: ExecutorEquivocation, signal?: AbortSignal): Promise<Hex>;
  /** Submits verifier equivocation evidence; resolves with the mined transaction hash. */
  challengeVerifier(evidence: VerifierEquivocation, signal?: AbortSignal): Promise<Hex>;
}

/**
 * The chain reads and writes of TEE mode (ModelRegistry measurements, EnclaveRegistry); implemented
 * by ContractChainView when the deployment names an EnclaveRegistry.
 */
export interface TeeChainView {
  /** The enclave measurements (`keccak256(PCR0 ‖ PCR1 ‖ PCR2)`) the model allows; empty when none. */
  modelMeasurements(modelId: Hex): Promise<readonly Hex[]>;
  /** An enclave key's on-chain registration; zeros when never registered. */
  enclaveRegistration(enclave: Address): Promise<EnclaveRegistrationRecord>;
  /** Submits `registerEnclave`; resolves with the mined transaction hash. */
  registerEnclave(
    registration: EnclaveRegistrationRecord & { enclave: Address; configDigest: Hex },
    signatures: readonly Hex[],
    signal?: AbortSignal,
  ): Promise<Hex>;
}

/** `measurement` and `expiresAt` (Unix seconds) of an enclave key in the EnclaveRegistry. */
export type EnclaveRegistrationRecord = { measurement: Hex; expiresAt: bigint };

export type VerifierSet = { configDigest: Hex; signers: Address[]; f: number };

export type BatchHeader = { configDigest: Hex; batchId: bigint; root: Hex; count: number };

export type SignedExecution = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  mode: number;
  signature: Hex;
};

export type ExecutorEquivocation = { executor: Address; a: SignedExecution; b: SignedExecution };

export type VerifierEquivocation = {
  verifier: Address;
  a: BatchHeader & { signature: Hex };
  b: BatchHeader & { signature: Hex };
};
