import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { bytesToHex } from "viem";
import { type Secp256k1Backend, useSecp256k1Backend } from "../eip712/secp256k1Backend.js";
import { jsKeccakBackend, useKeccakBackend } from "../hash/keccak.js";

/** Inputs below this many bytes are hashed in JS even where the native binding loads. */
const NATIVE_KECCAK_MIN_BYTES = 512;

import { useSha256Backend } from "../hash/sha256.js";

type NativeKeccak = (algorithm: "keccak256") => { update(data: Buffer): { digest(): Buffer } };

/** The part of the `secp256k1` package's binding that opg uses (the package ships no types). */
type NativeSecp256k1 = {
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature64: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
};

/**
 * Installs Node's fast backends: the `keccak` package's prebuilt N-API binding (XKCP, about 20×
 * faster than pure JS on megabyte tensors), libsecp256k1 through the `secp256k1` package's binding
 * (about 30× faster signature recovery) and node:crypto's sha256. A binding that cannot load on
 * this platform leaves the pure-JS backend in place: same digests and signatures either way.
 */
export function installNativeBackends(): void {
  const require = createRequire(import.meta.url);
  useSha256Backend({ name: "node", hash: (bytes) => createHash("sha256").update(bytes).digest() });
  try {
    const native = require("keccak/bindings") as NativeKeccak;
    useKeccakBackend({
      name: "xkcp",
      // Each native call costs a fixed ~15–25 µs (a hasher object, three N-API crossings): under
      // 512 bytes (EIP-712 digests, headers) pure JS is faster. The binding takes Buffers only: a
      // view over the same memory, no copy.
      hash: (bytes) =>
        bytes.length < NATIVE_KECCAK_MIN_BYTES
          ? jsKeccakBackend.hash(bytes)
          : bytesToHex(
              native("keccak256")
                .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
                .digest(),
            ),
    });
  } catch {
    // pure JS stays
  }
  try {
    const native = require("secp256k1/bindings") as NativeSecp256k1;
    const backend: Secp256k1Backend = {
      name: "libsecp256k1",
      sign: (digest, privateKey) => native.ecdsaSign(digest, privateKey),
      recover: (signature64, recid, digest) => native.ecdsaRecover(signature64, recid, digest, false),
    };
    useSecp256k1Backend(backend);
  } catch {
    // noble stays
  }
}
