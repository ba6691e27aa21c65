import type { ListingResolver, LogWatcherMetrics } from "@opg/chain";
import type { Logger, Module } from "@opg/daemon";
import { type ProofMode, proofModeName } from "@opg/protocol";
import type { Hex } from "viem";

/**
 * Decides whether this executor serves a request: the model must be in the local store and the
 * listing the request is judged by (the one it names, or for a direct request the one its model
 * resolves to through the configured publishers) must list this model with the mode allowed
 * (otherwise verifiers would refuse the result). Listings are cached by the ListingResolver until
 * the registry says they changed (`ListingCreated`/`ListingModesSet`, watched by
 * {@link ModelGate.watchers}, from `ListingResolver.changeWatchers`) or its TTL passes; a refusal is read again on the next request, so a
 * new listing is served at once. Only models in the local store reach the chain.
 */
export class ModelGate {
  constructor(
    private readonly deps: {
      listings: ListingResolver;
      hasModel: (modelId: Hex) => boolean;
    },
  ) {}

  /** Why the request cannot be served, or undefined when it can. */
  check = async (modelId: Hex, mode: ProofMode, listingId?: Hex): Promise<string | undefined> => {
    if (!this.deps.hasModel(modelId)) return `Model ${modelId} is not served by this executor.`;
    let listing = await this.deps.listings.forRequest(modelId, listingId);
    if (listing === undefined || (listing.modes & (1 << mode)) === 0) {
      // A refusal is never served from the cache: the listing may have just been created or changed.
      this.deps.listings.invalidate();
      listing = await this.deps.listings.forRequest(modelId, listingId);
    }
    if (listing === undefined) {
      return listingId
        ? `Listing ${listingId} does not list model ${modelId}.`
        : `Model ${modelId} has no listing by a publisher this executor trusts: its operator lists it with \`opg-exec models register ${modelId} --modes …\`.`;
    }
    if ((listing.modes & (1 << mode)) === 0) {
      return `Listing ${listing.listingId} of model ${modelId} does not allow mode ${proofModeName(mode)}.`;
    }
    return undefined;
  };

  /** Modules that watch the registry's listing events and drop cached listings, one per event. */
  watchers(opts: {
    confirmations: number;
    pollIntervalMs: number;
    logger: Logger;
    metrics?: (name: string) => LogWatcherMetrics;
  }): Module[] {
    return this.deps.listings.changeWatchers(opts).map((watcher) => ({
      name: watcher.name,
      start: (signal: AbortSignal) => watcher.start(signal),
      stop: () => watcher.stop(),
      health: () => watcher.health(),
    }));
  }
}
