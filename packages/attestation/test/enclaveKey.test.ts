import { recoverDigestSigner } from "@opg/protocol";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { AttestationError, EnclaveKey, enclaveAddressFromPublicKey } from "../src/index.js";

describe("EnclaveKey", () => {
  it("default: public_key is the 65-byte uncompressed point; its address recovers from result signatures", () => {
    const key = EnclaveKey.generate();
    expect(key.publicKey).toHaveLength(65);
    expect(key.publicKey[0]).toBe(0x04);
    expect(enclaveAddressFromPublicKey(key.publicKey)).toBe(key.address);
    const resultHash = keccak256(toHex("result"));
    const signature = key.signResult(resultHash);
    expect(signature).toHaveLength(2 + 130);
    expect(recoverDigestSigner(resultHash, signature)).toBe(key.address);
  });

  it("args: fromPrivateKey matches viem's account for the same key", () => {
    const pk = `0x${"01".repeat(32)}` as const;
    const key = EnclaveKey.fromPrivateKey(pk);
    expect(key.address).toBe(privateKeyToAccount(pk).address);
    expect(toHex(key.publicKey)).toBe(privateKeyToAccount(pk).publicKey);
  });

  it("error: public_key of the wrong size, prefix or curve is BINDING_MISMATCH", () => {
    const key = EnclaveKey.generate().publicKey;
    const offCurve = new Uint8Array(key);
    offCurve[64] = (offCurve[64] ?? 0) ^ 1;
    const compressed = new Uint8Array([0x02, ...key.subarray(1, 33)]);
    const prefixed = new Uint8Array(key);
    prefixed[0] = 0x06;
    for (const bad of [offCurve, compressed, prefixed, new Uint8Array(0)]) {
      expect(() => enclaveAddressFromPublicKey(bad)).toThrow(AttestationError);
    }
  });
});
