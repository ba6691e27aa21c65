import { generateKeyPair } from "@libp2p/crypto/keys";
import { describe, expect, it } from "vitest";
import { withCachedSigner } from "../src/cachedSigningKey.js";

describe("withCachedSigner", () => {
  it("signs the same bytes as the library's Ed25519 key, and the public key verifies them", async () => {
    const key = await generateKeyPair("Ed25519");
    const cached = withCachedSigner(key);
    expect(cached).toBeInstanceOf(Object.getPrototypeOf(key).constructor);
    expect(cached.equals(key)).toBe(true);
    expect(cached.publicKey.equals(key.publicKey)).toBe(true);
    for (const size of [0, 1, 32, 1000, 70_000]) {
      const message = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
      const signature = await cached.sign(message);
      expect(signature).toEqual(await key.sign(message));
      expect(await key.publicKey.verify(message, signature)).toBe(true);
    }
  });

  it("honours an aborted signal as the library's signer does", async () => {
    const cached = withCachedSigner(await generateKeyPair("Ed25519"));
    expect(() => cached.sign(new Uint8Array(1), { signal: AbortSignal.abort() })).toThrow();
  });

  it("leaves other key types unchanged", async () => {
    const key = await generateKeyPair("secp256k1");
    expect(withCachedSigner(key)).toBe(key);
  });
});
