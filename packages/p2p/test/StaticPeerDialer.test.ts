import { join } from "node:path";
import type { PeerId } from "@libp2p/interface";
import { afterEach, describe, expect, it } from "vitest";
import { Harness, waitForConnection, waitForEvent } from "./helpers.js";

const h = new Harness();
afterEach(() => h.cleanup());

describe("StaticPeerDialer", () => {
  it("default: a static peer is dialled at start and redialled after it restarts", async () => {
    const staticKey = join(await h.dir(), "peer.key");
    const { node: first } = await h.node({ peerKeyPath: staticKey });
    await first.start();
    const staticAddr = first.multiaddrs[0]!;
    const staticId = first.peerId;
    const port = staticAddr.getComponents().find((c) => c.name === "tcp")!.value!;

    const { node } = await h.node({ staticPeers: [staticAddr.toString()] });
    await node.start();
    await waitForConnection(node.libp2p, staticId);

    const dropped = waitForEvent<PeerId>(node.libp2p, "peer:disconnect", (p) => p.equals(staticId));
    await first.stop();
    await dropped;

    // Same key, same port: the node keeps redialling (with backoff) until it is back.
    const { node: restarted } = await h.node({
      peerKeyPath: staticKey,
      listenAddresses: [`/ip4/127.0.0.1/tcp/${port}`],
    });
    await restarted.start();
    expect(restarted.peerId.equals(staticId)).toBe(true);
    await waitForConnection(node.libp2p, staticId);
    expect(node.peers().some((p) => p.equals(staticId))).toBe(true);
  });
});
