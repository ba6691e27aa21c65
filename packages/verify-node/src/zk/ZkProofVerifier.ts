import { decodeTensors, ProofMode, type ResultMessage, ValidationError } from "@opg/protocol";
import {
  bindResultProof,
  vkHash,
  weightsCommitmentBytes32,
  ZkArtifactStore,
  type ZkBatchItem,
  ZkError,
  ZkVerifier,
} from "@opg/zk";
import type { ZkListing } from "../chain/ChainView.js";
import type { ProofVerifier } from "../pipeline/ProofVerifier.js";
import { ResultRejected } from "../pipeline/ResultValidator.js";
import type { VerifyMetrics } from "../verifyMetrics.js";
import { ZkBatchQueue, type ZkBatchQueueOptions, ZkBatchQueueStopped } from "./ZkBatchQueue.js";

export type ZkProofVerifierDeps = {
  /**
   * The ZK configuration of the listing the result is judged by (the one its on-chain request
   * names, else the one its model resolves to), cached by the RegistryCache. When given, a result
   * is only checked with this node's artifacts when their weights commitment and verification key
   * hash are the listing's: a key the listing does not name is never used.
   */
  listing?: ((message: ResultMessage) => Promise<ZkListing | undefined>) | undefined;
  /**
   * Whether this node may check proofs against a key (e.g. the ceremony behind it holds its own
   * contribution, or f + 1 of the verifier set's); a refusal message, or undefined to accept.
   */
  keyPolicy?: ((artifactDir: string | undefined, vkHash: string) => Promise<string | undefined>) | undefined;
  metrics?: VerifyMetrics | null | undefined;
};

export type ZkProofVerifierOptions = {
  artifactRoots: readonly string[];
  /** Batching of the pairing checks across results (defaults: 64 proofs, 25 ms). */
  batch?: Partial<ZkBatchQueueOptions> | undefined;
};

/**
 * Mode ZK: a result's proof is @opg/zk's proof bytes (Groth16 proof, public signals, the request
 * input). The proof is bound to the result without trusting the carried signals
 * (`bindResultProof`: keccak of the attached input = inputHash, the weights commitment of the
 * model's artifacts, Poseidon commitments of the quantized input and of the outputs), then the
 * pairing check runs against the model's verification key: bound proofs of the same key that
 * arrive close together are checked in one batch (ZkBatchQueue → `ZkVerifier.verifyBatch`), which
 * names the invalid ones; each result still gets its own verdict.
 *
 * Wrong proofs are REJECT (the validator reports BAD_PROOF with the ZkError code as cause); a
 * model this node has no artifacts for is IGNORE (ZK_ARTIFACTS_MISSING), as is a registry that
 * cannot be read (CHAIN_UNAVAILABLE, deferred). A batch this node failed to check, or one cut
 * short by `stop`, is IGNORE (ZK_VERIFIER_FAILED, SHUTTING_DOWN): nothing wrong with the sender.
 */
export class ZkProofVerifier implements ProofVerifier {
  readonly mode = ProofMode.ZK;
  readonly artifacts: ZkArtifactStore;
  private readonly verifiers = new Map<string, Promise<ZkVerifier>>();
  readonly stats = { verified: 0, rejected: 0 };
  /** The pairing checks, batched per verification key. */
  readonly queue: ZkBatchQueue<ZkVerifier, ZkBatchItem>;

  constructor(
    options: ZkProofVerifierOptions,
    private readonly deps: ZkProofVerifierDeps = {},
  ) {
    this.artifacts = new ZkArtifactStore(options.artifactRoots);
    this.queue = new ZkBatchQueue(options.batch ?? {}, {
      verifyBatch: (verifier, items) => verifier.verifyBatch(items),
      onBatch: ({ size, seconds }) => {
        deps.metrics?.zkBatchSize.observe(size);
        deps.metrics?.zkBatchDuration.observe(seconds);
      },
    });
  }

  /** Fails the proofs still waiting for their batch (IGNORE) and waits for the batches being verified. */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  async verify(message: ResultMessage): Promise<void> {
    const artifacts = await this.artifacts.getVerifying(message.modelId);
    if (artifacts === undefined) {
      throw new ValidationError(
        "IGNORE",
        "ZK_ARTIFACTS_MISSING",
        `This node has no ZK artifacts for model ${message.modelId}.`,
      );
    }
    const key = this.keyHashOf(artifacts.manifest.artifactKey, artifacts.vkey);
    if (this.deps.listing) {
      let listing: ZkListing | undefined;
      try {
        listing = await this.deps.listing(message);
      } catch (cause) {
        throw new ResultRejected(
          "proof",
          "IGNORE",
          "CHAIN_UNAVAILABLE",
          "The listing's ZK configuration could not be read.",
          { cause },
        );
      }
      if (listing === undefined) {
        throw new ValidationError(
          "IGNORE",
          "ZK_NO_LISTING",
          `No listing this node trusts names model ${message.modelId}.`,
        );
      }
      if (
        listing.weightsCommitment.toLowerCase() !==
        weightsCommitmentBytes32(artifacts.manifest.weightsCommitment)
      ) {
        // The listing names other weights than this node's artifacts: it cannot decide.
        throw new ValidationError(
          "IGNORE",
          "ZK_COMMITMENT_MISMATCH",
          `The weights commitment of listing ${listing.listingId} is not the one of this node's artifacts.`,
        );
      }
      if (listing.vkHash.toLowerCase() !== key) {
        // Never check a proof against a key the listing does not name (e.g. a solo setup's).
        throw new ValidationError(
          "IGNORE",
          "ZK_KEY_MISMATCH",
          `The verification key of listing ${listing.listingId} (${listing.vkHash}) is not this node's (${key}).`,
        );
      }
    }
    if (this.deps.keyPolicy) {
      const dir = "dir" in artifacts ? (artifacts as { dir: string }).dir : undefined;
      const refusal = await this.deps.keyPolicy(dir, key);
      if (refusal !== undefined) throw new ValidationError("IGNORE", "ZK_KEY_NOT_TRUSTED", refusal);
    }
    let item: Awaited<ReturnType<typeof bindResultProof>>;
    try {
      item = await bindResultProof(artifacts, {
        modelId: message.modelId,
        inputHash: message.inputHash,
        outputs: decodeTensors(message.outputs),
        outputHash: message.outputHash,
        executor: message.executor,
        proof: message.proof,
      });
    } catch (cause) {
      this.stats.rejected++;
      const code = cause instanceof ZkError ? cause.code : "INVALID_OUTPUTS";
      throw new ValidationError("REJECT", code, "The ZK proof does not match the result.", { cause });
    }
    let valid: boolean;
    try {
      const verifier = await this.verifierFor(artifacts.manifest.artifactKey, artifacts.vkey);
      valid = await this.queue.submit(verifier, item);
    } catch (cause) {
      // Not the sender's fault: drop the result (IGNORE), never penalise the peer.
      if (cause instanceof ZkBatchQueueStopped)
        throw new ValidationError("IGNORE", "SHUTTING_DOWN", "The ZK verifier is stopping.", { cause });
      throw new ValidationError("IGNORE", "ZK_VERIFIER_FAILED", "The ZK proof could not be checked.", {
        cause,
      });
    }
    if (!valid) {
      this.stats.rejected++;
      throw new ValidationError("REJECT", "INVALID_PROOF", "The ZK proof does not verify.");
    }
    this.stats.verified++;
  }

  private readonly keyHashes = new Map<string, string>();

  /** The verification key hash of an artifact directory's key (memoised per artifact key). */
  private keyHashOf(artifactKey: string, vkey: Parameters<typeof vkHash>[0]): string {
    let h = this.keyHashes.get(artifactKey);
    if (h === undefined) {
      h = vkHash(vkey).toLowerCase();
      this.keyHashes.set(artifactKey, h);
    }
    return h;
  }

  private verifierFor(key: string, vkey: Parameters<typeof ZkVerifier.create>[0]): Promise<ZkVerifier> {
    let v = this.verifiers.get(key);
    if (!v) {
      v = ZkVerifier.create(vkey);
      this.verifiers.set(key, v);
      v.catch(() => this.verifiers.delete(key));
    }
    return v;
  }
}
