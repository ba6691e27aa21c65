import { createRequire } from "node:module";
import { secp256k1 as noble } from "@noble/curves/secp256k1";

/** Recoverable ECDSA on secp256k1: sign a digest, recover the uncompressed public key. */
export type Secp256k1Backend = {
  readonly name: "libsecp256k1" | "noble";
  /** 64-byte r‖s (low s) and the recovery id. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** 65-byte uncompressed public key; throws when none recovers. */
  recover(signature64: Uint8Array, recid: number, digest: Uint8Array): Uint8Array;
};

/** The part of the `secp256k1` package's binding that opg uses (the package ships no types). */
type NativeSecp256k1 = {
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature64: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
};

const nobleBackend: Secp256k1Backend = {
  name: "noble",
  sign(digest, privateKey) {
    const sig = noble.sign(digest, privateKey, { lowS: true });
    return { signature: sig.toCompactRawBytes(), recid: sig.recovery };
  },
  recover(signature64, recid, digest) {
    return noble.Signature.fromCompact(signature64)
      .addRecoveryBit(recid)
      .recoverPublicKey(digest)
      .toRawBytes(false);
  },
};

/**
 * libsecp256k1 through the `secp256k1` package's prebuilt N-API binding (about 30× faster than
 * pure JS: signature recovery is the verifier's hot path); the pure-JS noble implementation when
 * the binding cannot load on this platform.
 */
function loadBackend(): Secp256k1Backend {
  try {
    const require = createRequire(import.meta.url);
    const native = require("secp256k1/bindings") as NativeSecp256k1;
    return {
      name: "libsecp256k1",
      sign: (digest, privateKey) => native.ecdsaSign(digest, privateKey),
      recover: (signature64, recid, digest) => native.ecdsaRecover(signature64, recid, digest, false),
    };
  } catch {
    return nobleBackend;
  }
}

export const secp256k1Backend: Secp256k1Backend = loadBackend();
