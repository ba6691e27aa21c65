import { type Hex, keccak256 } from "viem";

/** keccak256 over bytes: pure JS everywhere, a native binding where the platform has one. */
export type KeccakBackend = { readonly name: "xkcp" | "js"; hash(bytes: Uint8Array): Hex };

/** viem's (noble's) pure-JS keccak256: runs in browsers and every JS runtime. */
export const jsKeccakBackend: KeccakBackend = { name: "js", hash: (bytes) => keccak256(bytes) };

/**
 * The backend `keccak256Bytes` uses: pure JS by default; the Node entry point (`@opg/protocol` under
 * the `node` condition) installs the `keccak` package's native binding when it loads.
 */
export let keccakBackend: KeccakBackend = jsKeccakBackend;

/** Replaces the keccak backend (same digests, other speed); the Node entry point calls it. */
export function useKeccakBackend(backend: KeccakBackend): void {
  keccakBackend = backend;
}

/** keccak256 of `bytes`, as 0x-prefixed hex. */
export function keccak256Bytes(bytes: Uint8Array): Hex {
  return keccakBackend.hash(bytes);
}
