import { secp256k1 as noble } from "@noble/curves/secp256k1";

/** Recoverable ECDSA on secp256k1: sign a digest, recover the uncompressed public key. */
export type Secp256k1Backend = {
  readonly name: "libsecp256k1" | "noble";
  /** 64-byte r‖s (low s) and the recovery id. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** 65-byte uncompressed public key; throws when none recovers. */
  recover(signature64: Uint8Array, recid: number, digest: Uint8Array): Uint8Array;
};

/** The pure-JS noble implementation: runs in browsers and every JS runtime. */
export const nobleSecp256k1Backend: Secp256k1Backend = {
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
 * The backend signing and recovery use: noble by default; the Node entry point (`@opg/protocol`
 * under the `node` condition) installs libsecp256k1's native binding when it loads (about 30×
 * faster: signature recovery is the verifier's hot path).
 */
export let secp256k1Backend: Secp256k1Backend = nobleSecp256k1Backend;

/** Replaces the secp256k1 backend (same signatures, other speed); the Node entry point calls it. */
export function useSecp256k1Backend(backend: Secp256k1Backend): void {
  secp256k1Backend = backend;
}
