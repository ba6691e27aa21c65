/** What the seed of a service's key is derived from: `sha256(PEER_KEY_SEED_PREFIX + service)`. */
export declare const PEER_KEY_SEED_PREFIX: string;

/** The 32-byte Ed25519 seed of `service`'s libp2p key (e.g. `exec-0`). */
export declare function peerKeySeed(service: string): Uint8Array;
