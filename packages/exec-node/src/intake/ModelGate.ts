import { modelRegistryAbi } from "@opg/contracts";
import { type ProofMode, proofModeName } from "@opg/protocol";
import type { Address, Hex, PublicClient } from "viem";

/**
 * Decides whether this executor serves a model in a mode: the model must be in the local store
 * and registered on chain with the mode allowed (otherwise verifiers would refuse the result).
 * Chain reads are cached; during an RPC outage the last known answer holds.
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
    const modes = await this.modes(modelId);
    if (modes === 0) return `Model ${modelId} is not registered on chain.`;
    if ((modes & (1 << mode)) === 0) return `Model ${modelId} does not allow mode ${proofModeName(mode)}.`;
    return undefined;
  };

  private async modes(modelId: Hex): Promise<number> {
    const hit = this.cache.get(modelId);
    if (hit && Date.now() - hit.at < (this.deps.ttlMs ?? 30_000)) return hit.modes;
    try {
      const [modes] = await this.deps.client.readContract({
        address: this.deps.modelRegistry,
        abi: modelRegistryAbi,
        functionName: "requestTerms",
        args: [modelId],
      });
      this.cache.set(modelId, { modes, at: Date.now() });
      return modes;
    } catch (err) {
      if (hit) return hit.modes;
      throw err;
    }
  }
}
