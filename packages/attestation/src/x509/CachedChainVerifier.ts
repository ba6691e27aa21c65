import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { TrustedRoots } from "./TrustedRoots.js";
import { type VerifiedChain, verifyCertificateChain } from "./verifyCertificateChain.js";

/**
 * `verifyCertificateChain` behind an LRU cache keyed by the SHA-256 of the exact certificate
 * bytes (leaf and bundle, length-prefixed). Only successful verifications are cached; time is
 * never cached (the caller checks validity at each use). `cacheSize` 0 disables the cache.
 */
export class CachedChainVerifier {
  readonly #roots: TrustedRoots;
  readonly #cache: LRUCache<string, VerifiedChain> | undefined;
  #hits = 0;
  #misses = 0;

  constructor(roots: TrustedRoots, cacheSize: number) {
    this.#roots = roots;
    this.#cache = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
  }

  verify(leaf: Uint8Array, cabundle: readonly Uint8Array[]): VerifiedChain {
    if (this.#cache === undefined) return verifyCertificateChain(leaf, cabundle, this.#roots);
    const key = chainKey(leaf, cabundle);
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const chain = verifyCertificateChain(leaf, cabundle, this.#roots);
    this.#cache.set(key, chain);
    return chain;
  }

  clear(): void {
    this.#cache?.clear();
  }

  get stats(): { hits: number; misses: number; size: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.#cache?.size ?? 0 };
  }
}

function chainKey(leaf: Uint8Array, cabundle: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  const len = new DataView(new ArrayBuffer(4));
  for (const der of [leaf, ...cabundle]) {
    len.setUint32(0, der.length);
    h.update(new Uint8Array(len.buffer));
    h.update(der);
  }
  return h.digest("base64");
}
