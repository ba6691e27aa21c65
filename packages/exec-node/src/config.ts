import { commonConfig } from "@opg/runtime";
import * as z from "zod";

/** opg-exec's configuration: file, `OPG_*` env and flags (docs/configuration.md). */
export const execNodeConfig = commonConfig({ httpPort: 8645 }).extend({
  models: z.object({
    /** Model store: `.onnx` files and `manifest.json` (relative to dataDir). */
    dir: z
      .string()
      .default("models")
      .describe("Model store: `.onnx` files and `manifest.json` (relative to dataDir)."),
    /** Execution providers in order of preference; the first usable one runs. */
    executionProviders: z
      .array(z.enum(["cuda", "cpu"]))
      .default(["cuda", "cpu"])
      .describe("Execution providers in order of preference; the first usable one runs."),
    cudaDeviceId: z.int().min(0).default(0).describe("CUDA device used when the CUDA provider runs."),
    intraOpThreads: z
      .int()
      .positive()
      .optional()
      .describe(
        "onnxruntime intra-op threads per session (default in worker threads: the cores but one shared among a model's sessions, at least one each; in process: one per core).",
      ),
    sessionsPerModel: z
      .int()
      .positive()
      .optional()
      .describe(
        "Sessions serving one model, each in its own worker thread, runs going to the least busy (default on the CPU: one per core, fewer for models too large for that; on CUDA or in process: one).",
      ),
    interOpThreads: z.int().positive().optional().describe("onnxruntime inter-op threads per session."),
    maxLoadedModels: z
      .int()
      .positive()
      .default(4)
      .describe("Sessions kept loaded; the least recently used is evicted."),
    /** Requests waiting to run, over all models; beyond it requests are answered BUSY. */
    maxQueued: z
      .int()
      .positive()
      .default(256)
      .describe("Requests waiting to run, over all models; beyond it requests are answered BUSY."),
    maxInFlightPerModel: z
      .int()
      .positive()
      .default(2)
      .describe(
        "Runs in flight at once per session of a model (a session runs one at a time; the next waits in its worker thread and starts the moment the last returns).",
      ),
    requestTimeoutMs: z
      .int()
      .positive()
      .default(30_000)
      .describe("Time for one inference request, queue included."),
    batching: z.object({
      enabled: z
        .boolean()
        .default(false)
        .describe("Dynamic batching along dim 0 for models with a batch dimension."),
      maxBatchSize: z.int().positive().default(8).describe("Most rows in one dynamically batched run."),
      maxWaitMs: z.int().min(0).default(2).describe("Longest a request waits for others to batch with."),
    }),
    /** Models loaded (and warmed up) at start. */
    preload: z.array(z.string()).default([]).describe("Models loaded (and warmed up) at start."),
    /** Each session runs in its own worker thread, off the daemon's event loop. */
    runInWorker: z
      .boolean()
      .default(true)
      .describe("Run each onnxruntime session in its own worker thread, off the daemon's event loop."),
  }),
  onchain: z.object({
    /** Serve `InferenceRequested` events of the hub. */
    enabled: z.boolean().default(true).describe("Serve `InferenceRequested` events of the hub."),
    /** Largest input fetched from an `inputURI`. */
    maxInputBytes: z
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe("Largest input fetched from an on-chain request's inputURI."),
    fetchTimeoutMs: z.int().positive().default(10_000).describe("Time to fetch inputs from an inputURI."),
  }),
  delivery: z.object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Deliver this executor's settled on-chain results itself (`InferenceHub.deliver`, paid from the callback gas escrow); needs `verifierUrls`.",
      ),
    verifierUrls: z
      .array(z.url())
      .default([])
      .describe(
        "Verifier API base URLs asked, in order, for a settled result's batch id and Merkle proof (checked against the root on chain).",
      ),
    fetchTimeoutMs: z.int().positive().default(5_000).describe("Time for one verifier to answer."),
    maxAttempts: z
      .int()
      .positive()
      .default(5)
      .describe("Failed delivery transactions before a request is left to others (anyone may deliver)."),
    retryBaseMs: z
      .int()
      .positive()
      .default(2_000)
      .describe("Backoff after the first failed delivery transaction."),
    retryMaxMs: z.int().positive().default(60_000).describe("Longest backoff between delivery transactions."),
    recheckMs: z
      .int()
      .positive()
      .default(30_000)
      .describe(
        "Longest wait before asking again for a result not settled yet (each BatchSettled event asks at once).",
      ),
    maxPending: z
      .int()
      .positive()
      .default(10_000)
      .describe("Requests pending delivery at most, kept in the database across restarts."),
    minBalanceEth: z
      .string()
      .regex(/^\d+(\.\d{1,18})?$/, "an amount in ETH, like 0.01")
      .default("0.001")
      .describe(
        "Balance floor of the signing key, in ETH: under it no delivery transaction is sent (deliveries wait, /health says degraded with the reason) until the key is funded again.",
      ),
    zk: z
      .enum(["quorum", "proof", "auto"])
      .default("auto")
      .describe(
        "ZK requests: `quorum` delivers from the verifiers' batch; `proof` settles at once with the ZK proof (`settleWithProof`); `auto` falls back to the proof when the quorum takes longer than `zkQuorumTimeoutMs`.",
      ),
    zkQuorumTimeoutMs: z
      .int()
      .positive()
      .default(120_000)
      .describe(
        "With `zk: auto`, how long a ZK result waits for the quorum before it is settled with its proof.",
      ),
  }),
  tee: z.object({
    /** Serve TEE-mode requests: each result carries a Nitro-format attestation binding (TeeProof). */
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Serve TEE-mode requests: each result carries a Nitro-format attestation binding (TeeProof).",
      ),
    /**
     * Where attestation documents come from. `dev`: a development enclave whose documents chain to
     * a local dev root (devnets only: it proves nothing). A real Nitro enclave's NSM device plugs in
     * as an `EnclaveProvider` through `ExecNode.create(config, { enclaveProvider })`.
     */
    provider: z
      .enum(["dev"])
      .default("dev")
      .describe(
        "Where attestation documents come from. `dev`: a development enclave whose documents chain to a local dev root (devnets only: it proves nothing). A real Nitro enclave's NSM device plugs in as an `EnclaveProvider` through `ExecNode.create(config, { enclaveProvider })`.",
      ),
    /** Folder holding the dev root (`DevRoot.loadOrCreate`), shared by the devnet; created when missing. */
    devRootDir: z
      .string()
      .default("nitro-dev")
      .describe(
        "Folder holding the dev root (`DevRoot.loadOrCreate`), shared by the devnet; created when missing.",
      ),
    /** Image name the dev enclave's PCRs derive from; its measurement is what models must allow. */
    imageId: z
      .string()
      .min(1)
      .default("opg-dev-enclave")
      .describe("Image name the dev enclave's PCRs derive from; its measurement is what models must allow."),
    /** `enclave-key`: results signed by an attested enclave key; `document`: one document per result. */
    binding: z
      .enum(["enclave-key", "document"])
      .default("enclave-key")
      .describe(
        "`enclave-key`: results signed by an attested enclave key; `document`: one document per result.",
      ),
    /** A fresh document vouching for the enclave key is obtained this often. */
    refreshIntervalMs: z
      .int()
      .positive()
      .default(300_000)
      .describe("A fresh document vouching for the enclave key is obtained this often."),
    /** The full document rides along with a result at least this often (its 32-byte id otherwise). */
    documentIntervalMs: z
      .int()
      .min(0)
      .default(30_000)
      .describe(
        "The full document rides along with a result at least this often (its 32-byte id otherwise).",
      ),
  }),
  zk: z.object({
    /** Serve ZK-mode requests: Groth16 proofs of the model's fixed-point computation (@opg/zk). */
    enabled: z
      .boolean()
      .default(false)
      .describe("Serve ZK-mode requests: Groth16 proofs of the model's fixed-point computation (@opg/zk)."),
    /** Proving worker threads (each proof already uses every core). */
    workers: z
      .int()
      .positive()
      .default(1)
      .describe("Proving worker threads (each proof already uses every core)."),
    /**
     * Folder of artifact directories (`<artifactKey>/manifest.json`, relative to dataDir), models
     * looked up by id. Unset: `zk-artifacts` under dataDir, then @opg/zk's committed example artifacts.
     */
    artifactsDir: z
      .string()
      .optional()
      .describe(
        "Folder of artifact directories (`<artifactKey>/manifest.json`, relative to dataDir), models looked up by id. Unset: `zk-artifacts` under dataDir, then @opg/zk's committed example artifacts.",
      ),
  }),
  /** SQLite database of signed results (relative to dataDir). */
  database: z
    .string()
    .default("executor.sqlite")
    .describe("SQLite database of signed results (relative to dataDir)."),
  /** Open results are gossiped again this often, for `republishForMs` after they were made. */
  republishIntervalMs: z
    .int()
    .positive()
    .default(30_000)
    .describe("Open results are gossiped again this often, for `republishForMs` after they were made."),
  republishForMs: z
    .int()
    .positive()
    .default(600_000)
    .describe("How long after it was made a result keeps being gossiped again."),
});

export type ExecNodeConfig = z.output<typeof execNodeConfig>;
