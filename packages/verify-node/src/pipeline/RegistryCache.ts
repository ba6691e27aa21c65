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

type Entry<T> = { value: T; at: number };

const kinds = new WeakMap<Map<string, unknown>, string>();
let nextKind = 0;
/** A stable label per cache map, so in-flight keys of different kinds never collide. */
function kindOf(map: Map<string, unknown>): string {
  let kind = kinds.get(map);
  if (kind === undefined) {
    kind = String(nextKind++);
    kinds.set(map, kind);
  }
  return kind;
}

/**
 * Chain reads the pipeline needs, cached with a TTL. When a refresh fails (RPC down) and an
 * older value exists, the older value is served: a registered executor stays known through an
 * outage. With no value at all, the error propagates (the caller defers the message).
 */
export class RegistryCache {
  private readonly options: RegistryCacheOptions;
  private readonly executors = new Map<string, Entry<boolean>>();
  private readonly models = new Map<string, Entry<number | undefined>>();
  private readonly measurements = new Map<string, Entry<readonly Hex[]>>();
  private readonly zkListings = new Map<string, Entry<ZkListing | undefined>>();
  private readonly requests = new Map<string, Entry<OnchainRequest | undefined>>();
  private verifierSet: Entry<VerifierSet> | undefined;
  /** Chain reads in flight, by kind and key: concurrent asks for one key share one read. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
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
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async cached<T>(
    map: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T>,
    ttl = this.options.ttlMs,
    failFast = false,
  ): Promise<T> {
    const hit = map.get(key);
    if (hit && this.now - hit.at < ttl) return hit.value;
    const flightKey = `${kindOf(map)}:${key}`;
    const flying = this.inFlight.get(flightKey) as Promise<T> | undefined;
    if (flying) return flying;
    const read = this.load(map, key, load, hit, failFast);
    this.inFlight.set(flightKey, read);
    try {
      return await read;
    } finally {
      this.inFlight.delete(flightKey);
    }
  }

  private async load<T>(
    map: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T>,
    hit: Entry<T> | undefined,
    failFast: boolean,
  ): Promise<T> {
    if (failFast && hit === undefined && this.now < this.downUntil) {
      throw new Error("The chain failed a read less than a second ago.");
    }
    try {
      this.reads += 1;
      const value = await load();
      map.delete(key);
      map.set(key, { value, at: this.now });
      if (map.size > this.options.maxEntries) map.delete(map.keys().next().value as string);
      return value;
    } catch (e) {
      if (failFast) this.downUntil = this.now + 1_000;
      if (hit) return hit.value;
      throw e;
    }
  }

  /**
   * Whether `signer` is a registered, staked executor. Asked for any signed result, so anyone can
   * make us ask it with fresh keys: after a failed read, unknown signers fail fast for a second
   * (one RPC attempt per second during an outage, not one per message).
   */
  isActiveExecutor(signer: Address): Promise<boolean> {
    return this.cached(
      this.executors,
      signer.toLowerCase(),
      () => this.deps.chain.isActiveExecutor(signer),
      this.options.ttlMs,
      true,
    );
  }

  modelModes(modelId: Hex, executor?: Address): Promise<number | undefined> {
    return this.cached(this.models, `${modelId}:${executor ?? ""}`, () =>
      this.deps.chain.modelModes(modelId, executor),
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
    return this.cached(this.measurements, key, async () => {
      const fresh = await tee.modelMeasurements(modelId, listingId, executor);
      const hit = this.measurements.get(key)?.value;
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
    return this.cached(this.zkListings, `${modelId}:${listingId ?? executor ?? ""}`, () =>
      chain.zkListing!(modelId, listingId, executor),
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
    const hit = this.requests.get(requestId);
    return this.cached(
      this.requests,
      requestId,
      () => this.deps.chain.onchainRequest(requestId),
      hit?.value ? Number.POSITIVE_INFINITY : this.options.missTtlMs,
    );
  }

  /**
   * An on-chain request seen in the hub's `InferenceRequested` logs (the request watcher): later
   * checks of its results are cache hits, with no chain read of their own.
   */
  noteRequest(requestId: Hex, request: OnchainRequest): void {
    this.requests.delete(requestId);
    this.requests.set(requestId, { value: request, at: this.now });
    if (this.requests.size > this.options.maxEntries) {
      this.requests.delete(this.requests.keys().next().value as string);
    }
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
