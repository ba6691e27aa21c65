import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { type Secp256k1Backend, useSecp256k1Backend } from "../eip712/secp256k1Backend.js";
import { useKeccakBackend } from "../hash/keccak.js";

import { useSha256Backend } from "../hash/sha256.js";

/** The `keccak` package's XKCP sponge (its N-API binding, without the package's stream wrapper). */
type KeccakState = {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(bytes: number): Buffer;
};
const KECCAK256_RATE = 1088;
const KECCAK256_CAPACITY = 512;

/**
 * One reusable sponge from the `keccak` package's prebuilt binding, loaded the way the package
 * loads it (node-gyp-build from its own folder). The package's `keccak256` hasher builds a Node
 * stream per call, which costs more than hashing a small buffer; hashing is synchronous, so one
 * state re-initialised per hash serves every caller on this thread.
 */
function nativeKeccakState(require: NodeJS.Require): KeccakState {
  const pkg = require.resolve("keccak/package.json");
  const load = createRequire(pkg)("node-gyp-build") as (dir: string) => unknown;
  const State = load(dirname(pkg));
  if (typeof State !== "function") throw new Error("keccak: the native binding did not load");
  return new (State as new () => KeccakState)();
}

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
    const state = nativeKeccakState(require);
    useKeccakBackend({
      name: "xkcp",
      // Native at every size: measured per call on the 2-core bench machine (CPU µs), 32 B: 2–4
      // vs 13–16 (noble), 66 B (an EIP-712 digest): 2–5 vs 13–22, 192 B (a struct hash): 3–5 vs
      // 20–31, 1 KiB: 6–10 vs 83–100 (the package's own per-call hasher: 4–16 at every size).
      // The verifier hashes ~10 small buffers per result. The binding takes Buffers: a view, no copy.
      hash: (bytes) => {
        state.initialize(KECCAK256_RATE, KECCAK256_CAPACITY);
        state.absorb(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return `0x${state.squeeze(32).toString("hex")}`;
      },
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
