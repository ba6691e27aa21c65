import { commonConfig } from "@opg/runtime";
import * as z from "zod";

/** opg-exec's configuration: file, `OPG_*` env and flags (docs/configuration.md). */
export const execNodeConfig = commonConfig({ httpPort: 8645 }).extend({
  models: z.object({
    /** Model store: `.onnx` files and `manifest.json` (relative to dataDir). */
    dir: z.string().default("models"),
    /** Execution providers in order of preference; the first usable one runs. */
    executionProviders: z.array(z.enum(["cuda", "cpu"])).default(["cuda", "cpu"]),
    cudaDeviceId: z.int().min(0).default(0),
    intraOpThreads: z.int().positive().optional(),
    interOpThreads: z.int().positive().optional(),
    maxLoadedModels: z.int().positive().default(4),
    /** Requests waiting to run, over all models; beyond it requests are answered BUSY. */
    maxQueued: z.int().positive().default(256),
    maxInFlightPerModel: z.int().positive().default(1),
    requestTimeoutMs: z.int().positive().default(30_000),
    batching: z.object({
      enabled: z.boolean().default(false),
      maxBatchSize: z.int().positive().default(8),
      maxWaitMs: z.int().min(0).default(2),
    }),
    /** Models loaded (and warmed up) at start. */
    preload: z.array(z.string()).default([]),
  }),
  onchain: z.object({
    /** Serve `InferenceRequested` events of the hub. */
    enabled: z.boolean().default(true),
    /** Largest input fetched from an `inputURI`. */
    maxInputBytes: z
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    fetchTimeoutMs: z.int().positive().default(10_000),
  }),
  tee: z.object({
    /** Serve TEE-mode requests: each result carries a Nitro-format attestation binding (TeeProof). */
    enabled: z.boolean().default(false),
    /**
     * Where attestation documents come from. `dev`: a development enclave whose documents chain to
     * a local dev root (devnets only: it proves nothing). A real Nitro enclave's NSM device plugs in
     * as an `EnclaveProvider` through `ExecNode.create(config, { enclaveProvider })`.
     */
    provider: z.enum(["dev"]).default("dev"),
    /** Folder holding the dev root (`DevRoot.loadOrCreate`), shared by the devnet; created when missing. */
    devRootDir: z.string().default("nitro-dev"),
    /** Image name the dev enclave's PCRs derive from; its measurement is what models must allow. */
    imageId: z.string().min(1).default("opg-dev-enclave"),
    /** `enclave-key`: results signed by an attested enclave key; `document`: one document per result. */
    binding: z.enum(["enclave-key", "document"]).default("enclave-key"),
    /** A fresh document vouching for the enclave key is obtained this often. */
    refreshIntervalMs: z.int().positive().default(300_000),
    /** The full document rides along with a result at least this often (its 32-byte id otherwise). */
    documentIntervalMs: z.int().min(0).default(30_000),
  }),
  /** SQLite database of signed results (relative to dataDir). */
  database: z.string().default("executor.sqlite"),
  /** Open results are gossiped again this often, for `republishForMs` after they were made. */
  republishIntervalMs: z.int().positive().default(30_000),
  republishForMs: z.int().positive().default(600_000),
});

export type ExecNodeConfig = z.output<typeof execNodeConfig>;
