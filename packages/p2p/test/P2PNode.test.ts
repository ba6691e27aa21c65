import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { PeerId } from "@libp2p/interface";
import { ValidationError } from "@opg/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { type MessageInfo, NoTopicPeersError, P2PError, type P2PNode, topicsFor } from "../src/index.js";
import { bytes, CHAIN_ID, Harness, metricValue, textValidator, waitForEvent } from "./helpers.js";

const topics = topicsFor(CHAIN_ID);
const h = new Harness();
afterEach(() => h.cleanup());

type Received = { topic: string; value: string; propagationSource: PeerId };

/** Subscribes `node` to both topics; received messages land in the returned array. */
function subscribeBoth(node: P2PNode): Received[] {
  const received: Received[] = [];
  const handler = (value: string, info: MessageInfo): void => {
    received.push({ topic: info.topic, value, propagationSource: info.propagationSource });
  };
  node.subscribe(topics.results, textValidator, handler);
  node.subscribe(topics.batchSignatures, textValidator, handler);
  return received;
}

describe("P2PNode", () => {
  it("default: three nodes joined through a bootstrap peer exchange messages on both topics", async () => {
    const { node: hub } = await h.node();
    const hubReceived = subscribeBoth(hub);
    await hub.start();
    const bootstrapPeers = [hub.multiaddrs[0]!.toString()];
    const { node: b } = await h.node({ bootstrapPeers });
    const { node: c } = await h.node({ bootstrapPeers });
    const bReceived = subscribeBoth(b);
    const cReceived = subscribeBoth(c);
    await Promise.all([b.start(), c.start()]);

    // b and c only know the hub: a message between them must be forwarded by the hub's mesh.
    await Promise.all(
      [topics.results, topics.batchSignatures].flatMap((topic) => [
        hub.waitForTopicPeers(topic, 2),
        b.waitForTopicPeers(topic, 1),
        c.waitForTopicPeers(topic, 1),
      ]),
    );
    expect(hub.peers()).toHaveLength(2);

    const atC = waitForEvent(c, "message:validated", (o: { topic: string }) => o.topic === topics.results);
    expect(await b.publish(topics.results, bytes("ok:result-1"))).toBe(1);
    await atC;
    const atB = waitForEvent(
      b,
      "message:validated",
      (o: { topic: string }) => o.topic === topics.batchSignatures,
    );
    expect(await c.publish(topics.batchSignatures, bytes("ok:sig-1"))).toBe(1);
    await atB;

    // The same bytes published again are a new message (a fresh nonce): delivered again, not
    // dropped as seen (executors republish open results, verifiers their signatures).
    const again = waitForEvent(c, "message:validated", (o: { topic: string }) => o.topic === topics.results);
    expect(await b.publish(topics.results, bytes("ok:result-1"))).toBe(1);
    await again;

    const result1 = { topic: topics.results, value: "result-1", propagationSource: hub.peerId };
    expect(cReceived).toEqual([result1, result1]);
    expect(bReceived).toEqual([
      { topic: topics.batchSignatures, value: "sig-1", propagationSource: hub.peerId },
    ]);
    expect(hubReceived.map((r) => r.value).sort()).toEqual(["result-1", "result-1", "sig-1"]);
  });

  it("behavior: the peer key persists across restarts (same PeerId, file mode 0600)", async () => {
    const peerKeyPath = join(await h.dir(), "peer.key");
    const { node: first } = await h.node({ peerKeyPath });
    await first.start();
    const id = first.peerId;
    await first.stop();
    expect((await stat(peerKeyPath)).mode & 0o777).toBe(0o600);

    // The same object restarts with a fresh libp2p, and a new object loads the same key.
    await first.start();
    expect(first.peerId.equals(id)).toBe(true);
    await first.stop();
    const { node: second } = await h.node({ peerKeyPath });
    await second.start();
    expect(second.peerId.equals(id)).toBe(true);
    expect(second.multiaddrs[0]!.toString()).toContain(`/p2p/${id.toString()}`);
  });

  it("behavior: publish validates first and never sends what peers would reject", async () => {
    const { node, registry } = await h.node({ allowPublishToZeroPeers: true });
    node.subscribe(topics.results, textValidator, () => {}, { maxBytes: 64 });
    await node.start();

    await expect(node.publish(topics.results, bytes("reject:mine"))).rejects.toBeInstanceOf(ValidationError);
    await expect(node.publish(topics.results, new Uint8Array(65))).rejects.toMatchObject({
      code: "MESSAGE_TOO_LARGE",
    });
    // Not subscribed: the caller's validator runs instead.
    await expect(
      node.publish(topics.batchSignatures, bytes("boom"), { validator: textValidator }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(await metricValue(registry, "opg_p2p_published_total", { result: "invalid" })).toBe(3);

    // Valid, but nobody listens: allowed to go to zero peers.
    expect(await node.publish(topics.results, bytes("ok:alone"))).toBe(0);
    expect(
      await metricValue(registry, "opg_p2p_published_total", { topic: topics.results, result: "ok" }),
    ).toBe(1);
  });

  it("error: publishing to zero peers throws a retryable NoTopicPeersError unless allowed", async () => {
    const { node, registry } = await h.node();
    await node.start();
    const error = await node.publish(topics.results, bytes("ok:x")).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NoTopicPeersError);
    expect((error as NoTopicPeersError).retryable).toBe(true);
    expect(await metricValue(registry, "opg_p2p_published_total", { result: "no_peers" })).toBe(1);
  });

  it("error: misuse is reported with bounded codes", async () => {
    const { node } = await h.node();
    expect(() => node.peerId).toThrow(P2PError);
    await expect(node.publish(topics.results, bytes("ok:x"))).rejects.toMatchObject({ code: "NOT_STARTED" });
    expect(() => node.subscribe("/opg/2/results/1", textValidator, () => {})).toThrow(
      expect.objectContaining({ code: "TOPIC_NOT_ALLOWED" }),
    );
    node.subscribe(topics.results, textValidator, () => {});
    expect(() => node.subscribe(topics.results, textValidator, () => {})).toThrow(
      expect.objectContaining({ code: "ALREADY_SUBSCRIBED" }),
    );
    await node.start();
    await expect(node.start()).rejects.toMatchObject({ code: "ALREADY_STARTED" });
  });
});
