import type { Address, Hex } from "viem";

/** What the verifier reads from and writes to the chain; implemented on @opg/chain. */
export interface ChainView {
  readonly chainId: number;
  readonly hub: Address;
  /** Whether `signer` is the signing key of a registered, staked, not unbonding executor. */
  isActiveExecutor(signer: Address): Promise<boolean>;
  /**
   * The supported modes (bitmask, bit `mode`) of the listing a direct request for the model resolves
   * to (the configured publishers' listings, else the result executor's own), or undefined.
   */
  modelModes(modelId: Hex, executor?: Address): Promise<number | undefined>;
  /** An on-chain request's terms, or undefined when the hub has no such request. */
  onchainRequest(requestId: Hex): Promise<OnchainRequest | undefined>;
  /**
   * ZK mode: the ZK configuration of the listing a result is judged by (the one its on-chain
   * request names, else the one its model resolves to); undefined when there is none. Optional:
   * without it ZK proofs are checked against the node's artifacts only (tests).
   */
  zkListing?(modelId: Hex, listingId?: Hex, executor?: Address): Promise<ZkListing | undefined>;
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
  /**
   * Follows the hub's `InferenceRequested` events like `watchSettlements`, calling `onRequest`
   * once per request: how on-chain requests reach the verifier's cache, so a result's request
   * check is a cache hit rather than a log query of its own. Optional: without it (tests) each
   * request is read on first use.
   */
  watchRequests?(opts: {
    onRequest: (requestId: Hex, request: OnchainRequest) => void;
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
  /**
   * The enclave measurements (`keccak256(PCR0 ‖ PCR1 ‖ PCR2)`) the listing allows (`listingId`, else
   * the listing the model resolves to); empty when none.
   */
  modelMeasurements(modelId: Hex, listingId?: Hex, executor?: Address): Promise<readonly Hex[]>;
  /** An enclave key's on-chain registration; zeros when never registered. */
  enclaveRegistration(enclave: Address): Promise<EnclaveRegistrationRecord>;
  /** Submits `registerEnclave`; resolves with the mined transaction hash. */
  registerEnclave(
    registration: EnclaveRegistrationRecord & { enclave: Address; configDigest: Hex },
    signatures: readonly Hex[],
    signal?: AbortSignal,
  ): Promise<Hex>;
}

/** An on-chain request as committed by the hub (listingId: the listing it names). */
export type OnchainRequest = { modelId: Hex; listingId?: Hex | undefined; inputHash: Hex; mode: number };

/** A listing's ZK configuration as the verifier needs it. */
export type ZkListing = {
  listingId: Hex;
  weightsCommitment: Hex;
  /** Hash of the listing's Groth16 verification key (@opg/zk `vkHash`); zero when none. */
  vkHash: Hex;
  /** Whether f + 1 verifiers sealed the key on chain. */
  sealed: boolean;
  /** sha256 of the sealed ceremony's final zkey; zero until sealed. */
  transcriptHash: Hex;
};

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
