import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterEach, describe, expect, it } from "vitest";
import { loadOrCreatePeerKey, P2PError } from "../src/index.js";
import { Harness } from "./helpers.js";

const h = new Harness();
afterEach(() => h.cleanup());

describe("loadOrCreatePeerKey", () => {
  it("default: creates an Ed25519 key file with mode 0600", async () => {
    const path = join(await h.dir(), "keys", "peer.key");
    const { privateKey, created } = await loadOrCreatePeerKey(path);
    expect(created).toBe(true);
    expect(privateKey.type).toBe("Ed25519");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, ".."))).mode & 0o777).toBe(0o700);
    const stored = privateKeyFromProtobuf(await readFile(path));
    expect(stored.equals(privateKey)).toBe(true);
  });

  it("behavior: reuses the stored key (stable PeerId)", async () => {
    const path = join(await h.dir(), "peer.key");
    const first = await loadOrCreatePeerKey(path);
    const second = await loadOrCreatePeerKey(path);
    expect(second.created).toBe(false);
    expect(peerIdFromPrivateKey(second.privateKey).equals(peerIdFromPrivateKey(first.privateKey))).toBe(true);
  });

  it("behavior: concurrent first starts agree on one key", async () => {
    const path = join(await h.dir(), "peer.key");
    const keys = await Promise.all([
      loadOrCreatePeerKey(path),
      loadOrCreatePeerKey(path),
      loadOrCreatePeerKey(path),
    ]);
    const stored = privateKeyFromProtobuf(await readFile(path));
    for (const { privateKey } of keys) expect(privateKey.equals(stored)).toBe(true);
  });

  it("error: key file readable by others", async () => {
    const path = join(await h.dir(), "peer.key");
    await loadOrCreatePeerKey(path);
    await chmod(path, 0o644);
    await expect(loadOrCreatePeerKey(path)).rejects.toMatchObject({ code: "KEY_FILE_PERMISSIONS" });
  });

  it("error: key file with garbage is not replaced", async () => {
    const path = join(await h.dir(), "peer.key");
    await writeFile(path, "not a key", { mode: 0o600 });
    await expect(loadOrCreatePeerKey(path)).rejects.toBeInstanceOf(P2PError);
    await expect(loadOrCreatePeerKey(path)).rejects.toMatchObject({ code: "KEY_FILE_INVALID" });
    expect(await readFile(path, "utf8")).toBe("not a key");
  });
});
