import { createRequire } from "node:module";
import { bytesToHex, type Hex, keccak256 } from "viem";

type NativeKeccak = (algorithm: "keccak256") => { update(data: Buffer): { digest(): Buffer } };

/**
 * keccak256 of large byte strings (tensor encodings, up to megabytes): the `keccak` package's
 * prebuilt N-API binding (XKCP, about 20× faster than pure JS), or viem's pure-JS keccak256
 * when the binding cannot load on this platform. Same digest either way.
 */
function loadKeccak(): { name: "xkcp" | "js"; hash(bytes: Uint8Array): Hex } {
  try {
    const native = createRequire(import.meta.url)("keccak/bindings") as NativeKeccak;
    return {
      name: "xkcp",
      // The binding takes Buffers only: a view over the same memory, no copy.
      hash: (bytes) =>
        bytesToHex(
          native("keccak256")
            .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
            .digest(),
        ),
    };
  } catch {
    return { name: "js", hash: (bytes) => keccak256(bytes) };
  }
}

export const keccakBackend = loadKeccak();

/** keccak256 of `bytes`, as 0x-prefixed hex. */
export function keccak256Bytes(bytes: Uint8Array): Hex {
  return keccakBackend.hash(bytes);
}
