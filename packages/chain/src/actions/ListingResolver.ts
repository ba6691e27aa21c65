import { type Address, type Hex, type PublicClient, zeroAddress, zeroHash } from "viem";
import { modelRegistryAbi } from "../abis.js";
import type { ListingInfo } from "./types.js";

export type ListingResolverOptions = {
  /** Publishers whose listings a model id resolves to, in order (the first with a listing wins). */
  publishers: readonly Address[];
  /** How long a chain read is trusted (default 30 s); during an RPC outage the last answer holds. */
  ttlMs?: number;
  /** Entries kept per map (oldest refreshed dropped first; default 10 000). */
  maxEntries?: number;
};

type Entry<T> = { value: T; at: number };

/**
 * Model listings as the daemons see them. A request made on chain names its listing; a direct
 * request names only a model id, which resolves to the latest listing of the first configured
 * publisher that listed it (a squatter's listing of the same file is never picked unless its
 * publisher is configured). Reads are cached with a TTL.
 */
export class ListingResolver {
  private readonly listings = new Map<string, Entry<ListingInfo | undefined>>();
  private readonly resolved = new Map<string, Entry<Hex | undefined>>();

  constructor(
    private readonly options: ListingResolverOptions,
    private readonly deps: { client: PublicClient; modelRegistry: Address; now?: () => number },
  ) {}

  get publishers(): readonly Address[] {
    return this.options.publishers;
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && this.now - hit.at < (this.options.ttlMs ?? 30_000)) return hit.value;
    try {
      const value = await load();
      map.delete(key);
      map.set(key, { value, at: this.now });
      if (map.size > (this.options.maxEntries ?? 10_000)) map.delete(map.keys().next().value as string);
      return value;
    } catch (e) {
      if (hit) return hit.value;
      throw e;
    }
  }

  /** Drops every cached answer (the registry changed). */
  invalidate(): void {
    this.listings.clear();
    this.resolved.clear();
  }

  /** The listing, or undefined when none has this id. */
  listing(listingId: Hex): Promise<ListingInfo | undefined> {
    return this.cached(this.listings, listingId.toLowerCase(), async () => {
      const l = await this.deps.client.readContract({
        address: this.deps.modelRegistry,
        abi: modelRegistryAbi,
        functionName: "getListing",
        args: [listingId],
      });
      return l.owner === zeroAddress ? undefined : { listingId, ...l };
    });
  }

  /**
   * The listing a direct request for `modelId` resolves to: the latest listing of the first
   * configured publisher that listed it, else of `lastPublisher` (the daemons pass the result's
   * executor: its operator's own listing); undefined when none did.
   */
  forModel(modelId: Hex, lastPublisher?: Address): Promise<Hex | undefined> {
    const publishers = lastPublisher ? [...this.options.publishers, lastPublisher] : this.options.publishers;
    return this.cached(this.resolved, `${modelId}:${lastPublisher ?? ""}`.toLowerCase(), async () => {
      for (const publisher of publishers) {
        const id = await this.deps.client.readContract({
          address: this.deps.modelRegistry,
          abi: modelRegistryAbi,
          functionName: "latestListing",
          args: [modelId, publisher],
        });
        if (id !== zeroHash) return id;
      }
      return undefined;
    });
  }

  /** The listing a request is judged by: the one it names, else the one its model resolves to. */
  async forRequest(modelId: Hex, listingId?: Hex, lastPublisher?: Address): Promise<ListingInfo | undefined> {
    const id = listingId ?? (await this.forModel(modelId, lastPublisher));
    if (id === undefined) return undefined;
    const l = await this.listing(id);
    // A listing of another file never serves this model.
    return l && l.modelId.toLowerCase() === modelId.toLowerCase() ? l : undefined;
  }
}
