import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Logger } from "@opg/protocol";
import * as ort from "onnxruntime-node";
import { InferenceError } from "./errors.js";
import { identityModelBytes } from "./probeModel.js";

export type CudaAvailability = {
  available: boolean;
  /** Why CUDA is or is not usable, for logs and `/health`. */
  reason: string;
  /** Where onnxruntime-node's native libraries are. */
  bindingDir: string;
};

/**
 * Whether onnxruntime-node's CUDA provider can be loaded: its shared libraries must sit next to the
 * native binding (onnxruntime-node's install script fetches them; the npm package alone is CPU only).
 */
export function detectCuda(): CudaAvailability {
  const require = createRequire(import.meta.url);
  const bindingDir = join(
    dirname(require.resolve("onnxruntime-node")),
    "..",
    "bin",
    "napi-v6",
    process.platform,
    process.arch,
  );
  const libs =
    process.platform === "win32"
      ? ["onnxruntime_providers_cuda.dll", "onnxruntime_providers_shared.dll"]
      : ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"];
  const missing = libs.filter((lib) => !existsSync(join(bindingDir, lib)));
  if (process.platform !== "linux" && process.platform !== "win32") {
    return {
      available: false,
      reason: `no CUDA build of onnxruntime-node for ${process.platform}`,
      bindingDir,
    };
  }
  if (missing.length > 0) {
    return { available: false, reason: `missing ${missing.join(", ")} in ${bindingDir}`, bindingDir };
  }
  return { available: true, reason: "CUDA provider libraries present", bindingDir };
}

export type SessionTuning = {
  intraOpNumThreads: number | undefined;
  interOpNumThreads: number | undefined;
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all";
  cudaDeviceId: number;
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work (its default: true).
   * Spinning threads take whole cores between runs, away from the daemon's event loop.
   */
  intraOpSpinning?: boolean | undefined;
};

function providerConfig(name: string, tuning: SessionTuning): ort.InferenceSession.ExecutionProviderConfig {
  return name === "cuda" ? { name: "cuda", deviceId: tuning.cudaDeviceId } : name;
}

/** onnxruntime session options for `provider` with the engine's tuning. */
export function sessionOptions(provider: string, tuning: SessionTuning): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [providerConfig(provider, tuning)],
    graphOptimizationLevel: tuning.graphOptimizationLevel,
    // Errors come back as exceptions (and are logged by us); onnxruntime's own stderr stays quiet.
    logSeverityLevel: 4,
  };
  if (tuning.intraOpNumThreads !== undefined) options.intraOpNumThreads = tuning.intraOpNumThreads;
  if (tuning.interOpNumThreads !== undefined) options.interOpNumThreads = tuning.interOpNumThreads;
  if (tuning.intraOpSpinning !== undefined) {
    options.extra = { session: { intra_op: { allow_spinning: tuning.intraOpSpinning ? "1" : "0" } } };
  }
  return options;
}

/**
 * The usable providers, in the preferred order: names onnxruntime-node does not know are dropped,
 * `cuda` is dropped when its libraries are missing or a probe session cannot be created on it.
 * `cpu` is always usable.
 */
export async function resolveProviders(
  preference: readonly string[],
  tuning: SessionTuning,
  logger: Logger,
): Promise<{ providers: string[]; cuda: CudaAvailability }> {
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name));
  const cuda = detectCuda();
  const providers: string[] = [];
  for (const name of preference) {
    if (providers.includes(name)) continue;
    if (!supported.has(name)) {
      logger.warn({ provider: name }, "execution provider not supported by onnxruntime-node; skipped");
      continue;
    }
    if (name === "cuda") {
      if (!cuda.available) {
        logger.info({ provider: "cuda", reason: cuda.reason }, "CUDA not available; skipped");
        continue;
      }
      try {
        const probe = await ort.InferenceSession.create(identityModelBytes(), sessionOptions("cuda", tuning));
        await probe.release();
      } catch (error) {
        cuda.available = false;
        cuda.reason = `probe session failed: ${error instanceof Error ? error.message : String(error)}`;
        logger.warn({ provider: "cuda", reason: cuda.reason }, "CUDA provider failed its probe; skipped");
        continue;
      }
    }
    providers.push(name);
  }
  if (providers.length === 0) {
    logger.warn({ preference }, "no preferred execution provider is usable; falling back to cpu");
    providers.push("cpu");
  }
  return { providers, cuda };
}

/**
 * Creates a session on the first provider that accepts the model, falling back along `providers`.
 * Returns the provider actually used.
 */
export async function createSession(
  model: Uint8Array,
  providers: readonly string[],
  tuning: SessionTuning,
  logger: Logger,
): Promise<{ session: ort.InferenceSession; provider: string }> {
  const failures: string[] = [];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(model, sessionOptions(provider, tuning));
      return { session, provider };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${provider}: ${message}`);
      logger.warn({ provider, reason: message.slice(0, 500) }, "session creation failed on this provider");
    }
  }
  throw new InferenceError("SESSION_FAILED", "No execution provider could load the model", {
    details: failures.join("; ").slice(0, 2000),
  });
}
