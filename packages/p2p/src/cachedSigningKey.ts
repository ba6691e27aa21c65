import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import type { PrivateKey } from "@libp2p/interface";

/**
 * The node's Ed25519 peer key with a signer that keeps its parsed key: @libp2p/crypto builds a
 * node:crypto KeyObject from JWK on every signature (base64url both halves, parse), which cost
 * more CPU than the signature itself on every gossip message the node publishes (StrictSign). The
 * returned key is the same class (same `raw`, `publicKey`, `equals`); only `sign` differs, giving
 * the same bytes (Ed25519 signatures are deterministic). Other key types are returned unchanged.
 */
export function withCachedSigner(key: PrivateKey): PrivateKey {
  if (key.type !== "Ed25519") return key;
  const keyObject: KeyObject = createPrivateKey({
    format: "jwk",
    key: {
      kty: "OKP",
      crv: "Ed25519",
      d: Buffer.from(key.raw.subarray(0, 32)).toString("base64url"),
      x: Buffer.from(key.publicKey.raw).toString("base64url"),
    },
  });
  const cached = Object.create(Object.getPrototypeOf(key) as object) as PrivateKey;
  Object.assign(cached, key);
  Object.defineProperty(cached, "sign", {
    value: (message: Uint8Array | { subarray(): Uint8Array }, options?: { signal?: AbortSignal }) => {
      options?.signal?.throwIfAborted();
      // A Buffer, as the library's signer returns.
      return sign(null, message instanceof Uint8Array ? message : message.subarray(), keyObject);
    },
  });
  return cached;
}
