import { encodeAbiParameters, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  keccak256Bytes,
  keccakBackend,
  RESULT_ABI_TYPES,
  recoverDigestSigner,
  resultHash,
  resultValues,
  secp256k1Backend,
  signDigest,
} from "../src/index.node.js";

// The Node entry point installs native keccak (every size) and libsecp256k1: same digests,
// addresses and signatures as viem's pure-JS functions.
describe("Node's native backends", () => {
  it("are installed by the Node entry point", () => {
    expect(keccakBackend.name).toBe("xkcp");
    expect(secp256k1Backend.name).toBe("libsecp256k1");
  });

  it("hash every size as viem's keccak256 does, down to zero bytes", () => {
    for (const size of [0, 1, 31, 32, 66, 135, 136, 137, 192, 511, 512, 4096]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      expect(keccak256Bytes(bytes)).toBe(keccak256(bytes));
    }
  });

  it("recover EIP-55 checksummed addresses equal to viem's, for many keys", () => {
    for (let i = 0; i < 64; i++) {
      const key = keccak256(toHex(`opg/native/${i}`));
      const digest = keccak256(toHex(`digest/${i}`));
      expect(recoverDigestSigner(digest, signDigest(key, digest))).toBe(privateKeyToAddress(key));
    }
  });

  it("give the result hash of abi.encode, and refuse a field of the wrong size", () => {
    const fields = {
      requestId: keccak256(toHex("r")),
      modelId: keccak256(toHex("m")),
      inputHash: keccak256(toHex("i")),
      outputHash: keccak256(toHex("o")),
      executor: privateKeyToAddress(keccak256(toHex("e"))),
    };
    const expected = keccak256(
      encodeAbiParameters(
        RESULT_ABI_TYPES.map((type) => ({ type })),
        resultValues(fields),
      ),
    );
    expect(resultHash(fields)).toBe(expected);
    expect(() => resultHash({ ...fields, modelId: "0x1234" as Hex })).toThrow(/not 32 bytes/);
  });
});
