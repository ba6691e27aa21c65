import { ReadCache } from "@opg/chain";
import type { ResultMessage } from "@opg/protocol";
import type { Address, Hex } from "viem";
import type { ChainView, OnchainRequest, TeeChainView, VerifierSet, ZkListing } from "../chain/ChainView.js";

export type RegistryCacheOptions = {
  /** How long a chain read is trusted before it is read again. */
  ttlMs: number;
  /** Entries kept per kind (least recently refreshed dropped first). */
  maxEntries: number;
  /**
   * How long "no such on-chain request" is believed before the chain is asked again: a burst of
   * results for a request our RPC does not show yet costs one lookup per interval, not one each.
   */
  missTtlMs: number;
};

export const defaultRegistryCacheOptions: RegistryCacheOptions = {
  ttlMs: 30_000,
  maxEntries: 10_000,
  missTtlMs: 2_000,
};

/** The executors cache's key: addresses compare without case. */
const executorKey = (signer: Address): string => signer.toLowerCase();
/** The models cache's key: the model, and the executor whose listing answers for it. */
const modelKey = (modelId: Hex, executor?: Address): string => `${modelId}:${executor ?? ""}`;

/** How long a found on-chain request is kept (requests never change once made). */
const FOUND_REQUEST_TTL_MS = 7 * 24 * 3_600_000;

/**
 * Chain reads the pipeline needs, cached with a TTL (`ReadCache`: single flight, LRU bound). When
 * a refresh fails (RPC down) and an older value exists, the older value is served: a registered
 * executor stays known through an outage. With no value at all, the error propagates (the caller
 * defers the message).
 */
export class RegistryCache {
  private readonly options: RegistryCacheOptions;
  private readonly executors: ReadCache<boolean>;
  private readonly models: ReadCache<number | undefined>;
  private readonly measurements: ReadCache<readonly Hex[]>;
  private readonly zkListings: ReadCache<ZkListing | undefined>;
  private readonly requests: ReadCache<OnchainRequest | undefined>;
  private verifierSet: { value: VerifierSet; at: number } | undefined;
  /** Chain reads made (each `load`), for tests and metrics. */
  reads = 0;
  /** After a failed executor read, unknown executors fail fast until then (no RPC storm). */
  private downUntil = 0;

  constructor(
    options: Partial<RegistryCacheOptions>,
    private readonly deps: {
      chain: ChainView;
      /** TEE mode's reads (model measurements); without it `modelMeasurements` fails. */
      tee?: TeeChainView | undefined;
      now?: () => number;
    },
  ) {
    this.options = { ...defaultRegistryCacheOptions, ...options };
    const cache = { ttlMs: this.options.ttlMs, maxEntries: this.options.maxEntries, now: deps.now };
    this.executors = new ReadCache(cache);
    this.models = new ReadCache(cache);
    this.measurements = new ReadCache(cache);
    this.zkListings = new ReadCache(cache);
    // A found request is kept; "no such request" is re-read after `missTtlMs`.
    this.requests = new ReadCache({
      ...cache,
      ttlMs: Math.max(this.options.ttlMs, this.options.missTtlMs, 1),
      // (lru-cache reads a TTL of 0 as "forever": a miss is kept at least 1 ms.)
      ttlOf: (request) => (request ? FOUND_REQUEST_TTL_MS : Math.max(1, this.options.missTtlMs)),
    });
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** `load`, counted in `reads`. */
  private counted<T>(load: () => Promise<T>): () => Promise<T> {
    return () => {
      this.reads += 1;
      return load();
    };
  }

  /**
   * Whether `signer` is a registered, staked executor. Asked for any signed result, so anyone can
   * make us ask it with fresh keys: after a failed read, unknown signers fail fast for a second
   * (one RPC attempt per second during an outage, not one per message).
   */
  isActiveExecutor(signer: Address): Promise<boolean> {
    const key = executorKey(signer);
    return this.executors.get(key, async () => {
      if (this.executors.peek(key) === undefined && this.now < this.downUntil) {
        throw new Error("The chain failed a read less than a second ago.");
      }
      try {
        return await this.counted(() => this.deps.chain.isActiveExecutor(signer))();
      } catch (e) {
        this.downUntil = this.now + 1_000;
        throw e;
      }
    });
  }

  /**
   * `isActiveExecutor`'s fresh cached answer, if any, without reading or waiting (the validator's
   * hot path: a promise only on a miss).
   */
  knownExecutor(signer: Address): boolean | undefined {
    return this.executors.fresh(executorKey(signer))?.value;
  }

  /** `modelModes`' fresh cached answer, boxed (undefined inside: no such model), if any. */
  knownModelModes(modelId: Hex, executor?: Address): { value: number | undefined } | undefined {
    return this.models.fresh(modelKey(modelId, executor));
  }

  /** `onchainRequest`'s fresh cached answer, boxed (undefined inside: no such request), if any. */
  knownOnchainRequest(requestId: Hex): { value: OnchainRequest | undefined } | undefined {
    return this.requests.fresh(requestId);
  }

  modelModes(modelId: Hex, executor?: Address): Promise<number | undefined> {
    return this.models.get(
      modelKey(modelId, executor),
      this.counted(() => this.deps.chain.modelModes(modelId, executor)),
    );
  }

  /**
   * The enclave measurements a model allows (ModelRegistry `measurements`), for TEE proofs. The
   * same array is returned until a refresh changes it, so callers may memoise on its identity.
   */
  modelMeasurements(modelId: Hex, listingId?: Hex, executor?: Address): Promise<readonly Hex[]> {
    const tee = this.deps.tee;
    if (tee === undefined) return Promise.reject(new Error("No TEE chain view: model measurements unknown."));
    const key = `${modelId}:${listingId ?? executor ?? ""}`;
    return this.measurements.get(key, async () => {
      this.reads += 1;
      const fresh = await tee.modelMeasurements(modelId, listingId, executor);
      const hit = this.measurements.peek(key);
      const same =
        hit !== undefined &&
        hit.length === fresh.length &&
        hit.every((m, i) => m.toLowerCase() === fresh[i]!.toLowerCase());
      return same ? hit : Object.freeze([...fresh]);
    });
  }

  /** ZK mode: the ZK configuration of the listing a result is judged by (see ChainView.zkListing). */
  zkListing(modelId: Hex, listingId?: Hex, executor?: Address): Promise<ZkListing | undefined> {
    const chain = this.deps.chain;
    if (chain.zkListing === undefined) {
      return Promise.reject(new Error("The chain view cannot read listings."));
    }
    return this.zkListings.get(
      `${modelId}:${listingId ?? executor ?? ""}`,
      this.counted(() => chain.zkListing!(modelId, listingId, executor)),
    );
  }

  /**
   * The listing an on-chain result's request names (a cache hit after the validator's request
   * check); undefined for a direct request, whose listing the model id resolves to.
   */
  async listingOf(m: ResultMessage): Promise<Hex | undefined> {
    if (m.origin.type !== "onchain") return undefined;
    return (await this.onchainRequest(m.requestId))?.listingId;
  }

  /**
   * On-chain requests never change once made: a found one is kept; a missing one is re-read after
   * `missTtlMs` (asked only for results of registered executors: see ResultValidator).
   */
  onchainRequest(requestId: Hex): Promise<OnchainRequest | undefined> {
    return this.requests.get(
      requestId,
      this.counted(() => this.deps.chain.onchainRequest(requestId)),
    );
  }

  /**
   * An on-chain request seen in the hub's `InferenceRequested` logs (the request watcher): later
   * checks of its results are cache hits, with no chain read of their own.
   */
  noteRequest(requestId: Hex, request: OnchainRequest): void {
    this.requests.set(requestId, request, FOUND_REQUEST_TTL_MS);
  }

  async verifierConfig(): Promise<VerifierSet> {
    const hit = this.verifierSet;
    if (hit && this.now - hit.at < this.options.ttlMs) return hit.value;
    try {
      const value = await this.deps.chain.verifierConfig();
      this.verifierSet = { value, at: this.now };
      return value;
    } catch (e) {
      if (hit) return hit.value;
      throw e;
    }
  }

  /**
   * The verifier set read again from the chain unless the cached one is younger than `minAgeMs`:
   * what a message signed under an unknown digest triggers (a set change this node has not seen),
   * at most once per `minAgeMs` however many such messages arrive.
   */
  async freshVerifierConfig(minAgeMs: number): Promise<VerifierSet> {
    const hit = this.verifierSet;
    if (hit && this.now - hit.at < minAgeMs) return hit.value;
    this.verifierSet = undefined;
    try {
      return await this.verifierConfig();
    } catch (e) {
      if (hit) {
        this.verifierSet = hit;
        return hit.value;
      }
      throw e;
    }
  }

  /** Drops every cached value (after a config change event, for instance). */
  invalidate(): void {
    this.executors.clear();
    this.models.clear();
    this.measurements.clear();
    this.zkListings.clear();
    this.verifierSet = undefined;
  }
}
