import type { ListingResolver } from "@opg/chain";
import { type ProofMode, proofModeName } from "@opg/protocol";
import type { Hex } from "viem";

/**
 * Decides whether this executor serves a request: the model must be in the local store and the
 * listing the request is judged by (the one it names, or for a direct request the one its model
 * resolves to through the configured publishers) must list this model with the mode allowed
 * (otherwise verifiers would refuse the result). Chain reads are cached by the ListingResolver.
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
    const listing = await this.deps.listings.forRequest(modelId, listingId);
    if (listing === undefined) {
      return listingId
        ? `Listing ${listingId} does not list model ${modelId}.`
        : `Model ${modelId} has no listing by a publisher this executor trusts.`;
    }
    if ((listing.modes & (1 << mode)) === 0) {
      return `Listing ${listing.listingId} of model ${modelId} does not allow mode ${proofModeName(mode)}.`;
    }
    return undefined;
  };
}
