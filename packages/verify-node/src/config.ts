import { commonConfig } from "@opg/runtime";
import * as z from "zod";

/** opg-verify's configuration: file, `OPG_*` env and flags (docs/configuration.md). */
export const verifyNodeConfig = commonConfig({ httpPort: 8646 }).extend({
  batching: z.object({
    /** Cut a batch once this many verified results are pending. */
    maxBatchSize: z.int().min(1).max(8192).default(256),
    /** Cut a batch once the oldest pending result is this old. */
    maxBatchAgeMs: z.int().positive().default(2_000),
    /** Take over from a silent batch leader after this long. */
    leaderTimeoutMs: z.int().positive().default(10_000),
    tickMs: z.int().positive().default(250),
  }),
  tee: z.object({
    /** Verify TEE-mode results (Nitro attestation documents; PCR allowlists from the ModelRegistry). */
    enabled: z.boolean().default(false),
    /**
     * The dev root certificate (PEM file, or the folder holding `nitro-dev-root.pem`, relative to
     * dataDir) to trust besides the AWS Nitro root. Devnets only: unset, only the AWS root is trusted.
     */
    devRootPem: z.string().optional(),
    /** Freshness window: a document is accepted when first seen if at most this old. */
    maxAttestationAgeMs: z.int().positive().default(600_000),
    /** An enclave key signs valid results until its document's timestamp plus this. */
    enclaveKeyTtlMs: z
      .int()
      .positive()
      .default(3 * 3_600_000),
    /** Register the enclave keys this node verified in the EnclaveRegistry (with the verifier quorum). */
    registerEnclaves: z.boolean().default(true),
  }),
  /** SQLite database of verified results, batches and signatures (relative to dataDir). */
  database: z.string().default("verifier.sqlite"),
  registryCacheTtlMs: z.int().positive().default(30_000),
});

export type VerifyNodeConfig = z.output<typeof verifyNodeConfig>;
