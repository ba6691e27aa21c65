import { sha256 } from "@noble/hashes/sha2";

/** sha256 over bytes: noble's pure JS by default, node:crypto under the Node entry point. */
export type Sha256Backend = { readonly name: "node" | "js"; hash(bytes: Uint8Array): Uint8Array };

export const jsSha256Backend: Sha256Backend = { name: "js", hash: (bytes) => sha256(bytes) };

export let sha256Backend: Sha256Backend = jsSha256Backend;

/** Replaces the sha256 backend (same digests, other speed); the Node entry point calls it. */
export function useSha256Backend(backend: Sha256Backend): void {
  sha256Backend = backend;
}
