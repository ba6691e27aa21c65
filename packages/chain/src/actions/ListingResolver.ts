import type { Logger } from "@opg/protocol";
import { type AbiEvent, type Address, getAbiItem, type Hex, type PublicClient } from "viem";
import { modelRegistryAbi } from "../abis.js";
import { ReadCache } from "../cache/ReadCache.js";
import { MemoryCheckpointStore } from "../checkpoint/CheckpointStore.js";
import { LogWatcher, type LogWatcherMetrics } from "../watch/LogWatcher.js";
import { ModelRegistryActions } from "./ModelRegistryActions.js";
import type { ListingInfo } from "./types.js";

/** The ModelRegistry events after which a cached listing may be wrong, and their watchers' names. */
const CHANGES = [
  { event: "ListingCreated", name: "model-listed" },
  { event: "ListingModesSet", name: "model-modes-set" },
] as const;

export type ListingResolverOptions = {
  /** Publishers whose listings a model id resolves to, in order (the first with a listing wins). */
  publishers: readonly Address[];
  /** How long a chain read is trusted (default 30 s); during an RPC outage the last answer holds. */
  ttlMs?: number;
  /** Entries kept per kind of read (least recently used dropped first; default 10 000). */
  maxEntries?: number;
};

/**
 * Model listings as the daemons see them. A request made on chain names its listing; a direct
 * request names only a model id, which resolves to the latest listing of the first configured
 * publisher that listed it (a squatter's listing of the same file is never picked unless its
 * publisher is configured). Reads are cached with a TTL.
 */
export class ListingResolver {
  private readonly listings: ReadCache<ListingInfo | undefined>;
  private readonly resolved: ReadCache<Hex | undefined>;
  private readonly registry: ModelRegistryActions;

  constructor(
    private readonly options: ListingResolverOptions,
    private readonly deps: { client: PublicClient; modelRegistry: Address; now?: () => number },
  ) {
    const cache = { ttlMs: options.ttlMs ?? 30_000, maxEntries: options.maxEntries ?? 10_000, now: deps.now };
    this.listings = new ReadCache(cache);
    this.resolved = new ReadCache(cache);
    this.registry = new ModelRegistryActions(deps.modelRegistry, { client: deps.client });
  }

  get publishers(): readonly Address[] {
    return this.options.publishers;
  }

  /** Drops every cached answer (the registry changed). */
  invalidate(): void {
    this.listings.clear();
    this.resolved.clear();
  }

  /** The listing, or undefined when none has this id. */
  listing(listingId: Hex): Promise<ListingInfo | undefined> {
    return this.listings.get(listingId.toLowerCase(), () => this.registry.getListing(listingId));
  }

  /**
   * The listing a direct request for `modelId` resolves to: the latest listing of the first
   * configured publisher that listed it, else of `lastPublisher` (the daemons pass the result's
   * executor: its operator's own listing); undefined when none did.
   */
  forModel(modelId: Hex, lastPublisher?: Address): Promise<Hex | undefined> {
    const publishers = lastPublisher ? [...this.options.publishers, lastPublisher] : this.options.publishers;
    return this.resolved.get(`${modelId}:${lastPublisher ?? ""}`.toLowerCase(), async () => {
      for (const publisher of publishers) {
        const id = await this.registry.latestListing(modelId, publisher);
        if (id !== undefined) return id;
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

  /**
   * Watchers of the registry's listing changes (`ListingCreated`, `ListingModesSet`), one per
   * event, each dropping every cached answer; from the current head on (nothing is replayed).
   */
  changeWatchers(opts: {
    confirmations: number;
    pollIntervalMs: number;
    logger?: Logger | undefined;
    metrics?: ((name: string) => LogWatcherMetrics) | undefined;
  }): LogWatcher<AbiEvent>[] {
    return CHANGES.map(
      ({ event, name }) =>
        new LogWatcher<AbiEvent>(
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
            event: getAbiItem({ abi: modelRegistryAbi, name: event }) as AbiEvent,
            onLog: () => this.invalidate(),
            logger: opts.logger,
            ...(opts.metrics ? { metrics: opts.metrics(name) } : {}),
          },
        ),
    );
  }
}
