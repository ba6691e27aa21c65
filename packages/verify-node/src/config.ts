import { commonConfig } from "@opg/runtime";
import * as z from "zod";

/** opg-verify's configuration: file, `OPG_*` env and flags (docs/configuration.md). */
export const verifyNodeConfig = commonConfig({ httpPort: 8646 }).extend({
  batching: z.object({
    /** Cut a batch once this many verified results are pending. */
    maxBatchSize: z
      .int()
      .min(1)
      .max(8192)
      .default(256)
      .describe("Cut a batch once this many verified results are pending."),
    /** Cut a batch once the oldest pending result is this old. */
    maxBatchAgeMs: z
      .int()
      .positive()
      .default(2_000)
      .describe("Cut a batch once the oldest pending result is this old."),
    /** Take over from a silent batch leader after this long. */
    leaderTimeoutMs: z
      .int()
      .positive()
      .default(10_000)
      .describe("Take over from a silent batch leader after this long."),
    tickMs: z
      .int()
      .positive()
      .default(250)
      .describe("How often the batch coordinator looks at the chain and its state."),
    maxProposalsPerMember: z
      .int()
      .min(4)
      .default(64)
      .describe(
        "Batch proposals kept per verifier-set member; beyond it the member's oldest are dropped (a member flooding proposals evicts only its own).",
      ),
    maxProposalBytesPerMember: z
      .int()
      .min(8192 * 32)
      .default(8 * 1024 * 1024)
      .describe(
        "Bytes of result hashes kept per member's batch proposals (at least one batch of the largest size); beyond it the member's oldest are dropped.",
      ),
  }),
  retention: z.object({
    /** How long a settled result is kept, from its arrival (results awaiting a batch always stay). */
    resultsMs: z
      .int()
      .positive()
      .default(7 * 24 * 3_600_000)
      .describe(
        "How long a settled result is kept, from its arrival; results awaiting a batch always stay. Its hash stays (a replay is still a duplicate).",
      ),
    resultsMaxBytes: z
      .int()
      .positive()
      .default(1024 * 1024 * 1024)
      .describe("Byte cap of the settled results kept (their messages); the oldest go first."),
    signaturesMs: z
      .int()
      .positive()
      .default(24 * 3_600_000)
      .describe("How long batch signatures and proposals of settled rounds are kept."),
    signaturesMaxBytes: z
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe("Byte cap of all batch signatures kept (the oldest go first; a safety net)."),
  }),
  tee: z.object({
    /** Verify TEE-mode results (Nitro attestation documents; PCR allowlists from the ModelRegistry). */
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Verify TEE-mode results (Nitro attestation documents; PCR allowlists from the ModelRegistry).",
      ),
    /**
     * The dev root certificate (PEM file, or the folder holding `nitro-dev-root.pem`, relative to
     * dataDir) to trust besides the AWS Nitro root. Devnets only: unset, only the AWS root is trusted.
     */
    devRootPem: z
      .string()
      .optional()
      .describe(
        "The dev root certificate (PEM file, or the folder holding `nitro-dev-root.pem`, relative to dataDir) to trust besides the AWS Nitro root. Devnets only: unset, only the AWS root is trusted.",
      ),
    /** Freshness window: a document is accepted when first seen if at most this old. */
    maxAttestationAgeMs: z
      .int()
      .positive()
      .default(600_000)
      .describe("Freshness window: a document is accepted when first seen if at most this old."),
    /** An enclave key signs valid results until its document's timestamp plus this. */
    enclaveKeyTtlMs: z
      .int()
      .positive()
      .default(3 * 3_600_000)
      .describe("An enclave key signs valid results until its document's timestamp plus this."),
    /** Register the enclave keys this node verified in the EnclaveRegistry (with the verifier quorum). */
    registerEnclaves: z
      .boolean()
      .default(true)
      .describe(
        "Register the enclave keys this node verified in the EnclaveRegistry (with the verifier quorum).",
      ),
  }),
  zk: z.object({
    /** Verify ZK-mode results: Groth16 proofs bound to the result's model, input and outputs (@opg/zk). */
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Verify ZK-mode results: Groth16 proofs bound to the result's model, input and outputs (@opg/zk).",
      ),
    /**
     * Folder of artifact directories (`<artifactKey>/manifest.json`, relative to dataDir; only the
     * manifest, spec and verification key are read), models looked up by id. Unset: `zk-artifacts`
     * under dataDir, then @opg/zk's committed example artifacts.
     */
    artifactsDir: z
      .string()
      .optional()
      .describe(
        "Folder of artifact directories (`<artifactKey>/manifest.json`, relative to dataDir; only the manifest, spec and verification key are read), models looked up by id. Unset: `zk-artifacts` under dataDir, then @opg/zk's committed example artifacts.",
      ),
    /** Proofs of one verification key checked together in one batched pairing check, at most. */
    maxBatchSize: z
      .int()
      .min(1)
      .max(1024)
      .default(64)
      .describe(
        "Proofs of one verification key checked together in one batched pairing check, at most (1: each alone).",
      ),
    /** How long a proof waits for others to join its batch before the batch is checked anyway. */
    maxBatchWaitMs: z
      .int()
      .min(0)
      .max(10_000)
      .default(25)
      .describe(
        "How long a proof waits for others to join its batch before the batch is checked anyway (0: no waiting).",
      ),
    /**
     * Ceremony policy: n > 0 checks proofs only with keys installed by `opg-verify zk rebuild` whose
     * ceremony holds this node's own signed contribution or those of at least n members of the
     * verifier set; 0 trusts any key the listing names. Unset: f + 1 of the current verifier set,
     * or 0 on a devnet (chain id 31337: the committed example key has no ceremony).
     */
    minCeremonyContributors: z
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe(
        "Ceremony policy. n > 0: only keys whose ceremony transcript (installed by `opg-verify zk rebuild`) holds this node's own contribution or n verifier-set members'; 0: any key the listing names. Unset: f + 1 of the current verifier set, or 0 on a devnet (chain id 31337).",
      ),
    /** Largest ceremony zkey fetched from a peer (bytes); larger announcements and downloads are refused. */
    ceremonyMaxZkeyBytes: z
      .int()
      .positive()
      .default(512 * 1024 * 1024)
      .describe(
        "Largest ceremony zkey fetched from a peer (bytes); larger announcements and downloads are refused.",
      ),
    /**
     * Base URL at which peers reach this node's HTTP API, named in its ceremony announcements (where
     * to fetch its zkeys). Unset: `http://<http.host>:<http.port>`.
     */
    ceremonyPublicUrl: z
      .url()
      .optional()
      .describe(
        "Base URL at which peers reach this node's HTTP API, named in its ceremony announcements. Unset: http://<http.host>:<http.port>.",
      ),
  }),
  /** SQLite database of verified results, batches and signatures (relative to dataDir). */
  database: z
    .string()
    .default("verifier.sqlite")
    .describe("SQLite database of verified results, batches and signatures (relative to dataDir)."),
  registryCacheTtlMs: z
    .int()
    .positive()
    .default(30_000)
    .describe("How long registry reads (executors, models, verifier set) are trusted."),
  checkWorkers: z
    .int()
    .nonnegative()
    .optional()
    .describe(
      "Worker threads running the stateless checks of results (decode, digests, signature recoveries). Unset: one per core but one, the event loop checking what they have no room for (one core: all on the event loop); 0: on the event loop.",
    ),
});

export type VerifyNodeConfig = z.output<typeof verifyNodeConfig>;
