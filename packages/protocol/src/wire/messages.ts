import type { Address, Hex } from "viem";
import type { ProofMode } from "../mode.js";

export const WIRE_VERSION = 1;

export const MessageKind = {
  RESULT: 1,
  BATCH_SIGNATURE: 2,
  BATCH_PROPOSAL: 3,
  ENCLAVE_REGISTRATION_SIGNATURE: 4,
  CEREMONY_ANNOUNCEMENT: 5,
} as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** Size caps, checked before any decoding. */
export const WIRE_LIMITS = {
  resultMessageBytes: 1024 * 1024,
  batchSignatureMessageBytes: 4 * 1024,
  batchProposalMessageBytes: 384 * 1024,
  enclaveRegistrationMessageBytes: 4 * 1024,
  ceremonyAnnouncementMessageBytes: 2 * 1024,
  /** Longest URL in a ceremony announcement. */
  ceremonyUrlBytes: 512,
  /** Results in one proposed batch. */
  batchResults: 8192,
  proofBytes: 256 * 1024,
} as const;

/** Where the request behind a result came from. */
export type ResultOrigin =
  /** Requested through InferenceHub.requestInference: requestId is the contract's. */
  | { type: "onchain" }
  /** A direct request signed by its requester: requestId is the EIP-712 digest of it. */
  | { type: "direct"; requester: Address; nonce: bigint; deadline: bigint; requesterSignature: Hex };

/** An executor's signed result, gossiped on the results topic. */
export type ResultMessage = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
  mode: ProofMode;
  /** Outputs in the canonical tensor encoding; keccak256 of it is outputHash. */
  outputs: Uint8Array;
  /** Mode-specific proof bytes (empty for NONE). */
  proof: Uint8Array;
  /** The executor's EIP-712 signature over ExecutionResult. */
  signature: Hex;
  origin: ResultOrigin;
};

/** A verifier's signature over a batch root, gossiped on the batch-signatures topic. */
export type BatchSignatureMessage = {
  configDigest: Hex;
  batchId: bigint;
  root: Hex;
  count: number;
  verifier: Address;
  signature: Hex;
};

/**
 * A batch leader's proposal, gossiped on the batch-signatures topic: the results it puts in
 * batch `batchId` (by resultHash, in any order; the tree sorts leaves) and its own signature
 * over the BatchRoot. Followers that verified every listed result rebuild the tree, check the
 * root and sign it too.
 */
export type BatchProposalMessage = {
  configDigest: Hex;
  batchId: bigint;
  root: Hex;
  count: number;
  resultHashes: Hex[];
  proposer: Address;
  signature: Hex;
};

/**
 * A verifier's EIP-712 `EnclaveRegistration` signature, gossiped on the batch-signatures topic
 * (kind 4). A verifier signs once it verified an attestation document vouching for `enclave`
 * with this `measurement` and an expiry no earlier than `expiresAt`; f + 1 of them register the
 * enclave key on chain (EnclaveRegistry.registerEnclave).
 */
export type EnclaveRegistrationSignatureMessage = {
  enclave: Address;
  measurement: Hex;
  /** Unix seconds (at most 2^53 - 1 on the wire). */
  expiresAt: bigint;
  configDigest: Hex;
  verifier: Address;
  signature: Hex;
};

/**
 * A verifier's phase-2 ceremony contribution, announced on the batch-signatures topic (kind 5):
 * the zkey after contribution `index` of `listingId` hashes to `zkeySha256` (sha256, 32 bytes), is
 * `zkeyBytes` long and `url` (an opg-verify HTTP API) serves it by hash. `signature` is the
 * contributor's over @opg/zk `announcementDigest`; receivers check it (and that the contributor is
 * a verifier) before fetching anything.
 */
export type CeremonyAnnouncementMessage = {
  listingId: Hex;
  index: number;
  /** sha256 of the zkey, hex without 0x. */
  zkeySha256: string;
  zkeyBytes: number;
  contributor: Address;
  url: string;
  signature: Hex;
};
