import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { P2PError } from "./P2PError.js";

/** What `loadOrCreatePeerKey` did. */
export type PeerKeyResult = { privateKey: PrivateKey; created: boolean };

/**
 * Loads the node's libp2p identity key from `path` (protobuf-encoded, as written by
 * `privateKeyToProtobuf`), or creates an Ed25519 key there on first start so the PeerId stays
 * stable across restarts.
 *
 * The file is created with mode 0600 (directory 0700) and published atomically (written to a
 * temporary file, then hard-linked into place, so a concurrent start never sees a partial key and
 * never overwrites an existing one). An existing file readable by group or others, or one that does
 * not decode to a private key, is an error: the key is never silently replaced.
 */
export async function loadOrCreatePeerKey(path: string): Promise<PeerKeyResult> {
  const existing = await loadPeerKey(path);
  if (existing !== undefined) return { privateKey: existing, created: false };

  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const privateKey = await generateKeyPair("Ed25519");
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, path);
  } catch (err) {
    if (errnoCode(err) !== "EEXIST") throw err;
    // Another process created the key first: use theirs.
    const raced = await loadPeerKey(path);
    if (raced === undefined) throw err;
    return { privateKey: raced, created: false };
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return { privateKey, created: true };
}

async function loadPeerKey(path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    throw new P2PError("KEY_FILE_PERMISSIONS", "The peer key file is accessible by other users.", {
      details: `${path} has mode ${(mode & 0o777).toString(8)}; run chmod 600 on it`,
    });
  }
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (cause) {
    throw new P2PError("KEY_FILE_INVALID", "The peer key file does not hold a libp2p private key.", {
      details: `${path} (${bytes.length} bytes) is not a protobuf-encoded private key`,
      cause,
    });
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}
