import { LogWatcher, type LogWatcherMetrics, MemoryCheckpointStore } from "@opg/chain";
import { modelRegistryAbi } from "@opg/contracts";
import type { Logger, Module } from "@opg/daemon";
import { type ProofMode, proofModeName } from "@opg/protocol";
import { type AbiEvent, type Address, getAbiItem, type Hex, type PublicClient } from "viem";

/** The ModelRegistry events after which a cached answer may be wrong. */
const CHANGES = ["ModelRegistered", "ModelModesSet"] as const;

/**
 * Decides whether this executor serves a model in a mode: the model must be in the local store
 * and registered on chain with the mode allowed (otherwise verifiers would refuse the result).
 * An answer that allows the mode is cached until the registry says the model changed (its
 * `ModelRegistered`/`ModelModesSet` events, watched by {@link ModelGate.watchers}) or `ttlMs` passes;
 * an answer that refuses is read again on the next request, so a new registration is served at once.
 * During an RPC outage the last known answer holds. Only models in the local store reach the chain.
 */
export class ModelGate {
  private readonly cache = new Map<string, { modes: number; at: number }>();

  constructor(
    private readonly deps: {
      client: PublicClient;
      modelRegistry: Address;
      hasModel: (modelId: Hex) => boolean;
      ttlMs?: number;
    },
  ) {}

  /** Why the request cannot be served, or undefined when it can. */
  check = async (modelId: Hex, mode: ProofMode): Promise<string | undefined> => {
    if (!this.deps.hasModel(modelId)) return `Model ${modelId} is not served by this executor.`;
    const modes = await this.modes(modelId, mode);
    if (modes === 0)
      return `Model ${modelId} is not registered on chain (ModelRegistry ${this.deps.modelRegistry}): its operator registers it with \`opg-exec models register ${modelId} --modes …\`.`;
    if ((modes & (1 << mode)) === 0) return `Model ${modelId} does not allow mode ${proofModeName(mode)}.`;
    return undefined;
  };

  /** Drops the cached answer for `modelId` (the registry changed it). */
  invalidate(modelId: Hex): void {
    this.cache.delete(modelId.toLowerCase());
  }

  /** Modules that watch the registry's change events and invalidate the cache, one per event. */
  watchers(opts: {
    confirmations: number;
    pollIntervalMs: number;
    logger: Logger;
    metrics?: (name: string) => LogWatcherMetrics;
  }): Module[] {
    return CHANGES.map((eventName) => {
      const name = `model-${eventName === "ModelRegistered" ? "registered" : "modes-set"}`;
      const watcher = new LogWatcher<AbiEvent>(
        {
          address: this.deps.modelRegistry,
          fromBlock: undefined,
          confirmations: opts.confirmations,
          pollIntervalMs: opts.pollIntervalMs,
          name,
        },
        {
          client: this.deps.client,
          checkpoint: new MemoryCheckpointStore(),
          event: getAbiItem({ abi: modelRegistryAbi, name: eventName }) as AbiEvent,
          onLog: (log) => {
            const modelId = (log as unknown as { args: { modelId?: Hex } }).args.modelId;
            if (modelId) this.invalidate(modelId);
          },
          logger: opts.logger,
          ...(opts.metrics ? { metrics: opts.metrics(name) } : {}),
        },
      );
      return {
        name: watcher.name,
        start: (signal: AbortSignal) => watcher.start(signal),
        stop: () => watcher.stop(),
        health: () => watcher.health(),
      };
    });
  }

  private async modes(modelId: Hex, mode: ProofMode): Promise<number> {
    const key = modelId.toLowerCase();
    const hit = this.cache.get(key);
    const fresh = hit && Date.now() - hit.at < (this.deps.ttlMs ?? 30_000);
    if (fresh && (hit.modes & (1 << mode)) !== 0) return hit.modes;
    try {
      const [modes] = await this.deps.client.readContract({
        address: this.deps.modelRegistry,
        abi: modelRegistryAbi,
        functionName: "requestTerms",
        args: [modelId],
      });
      this.cache.set(key, { modes, at: Date.now() });
      return modes;
    } catch (err) {
      if (hit) return hit.modes;
      throw err;
    }
  }
}
