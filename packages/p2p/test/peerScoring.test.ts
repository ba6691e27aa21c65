import type { PeerId } from "@libp2p/interface";
import { afterEach, describe, expect, it } from "vitest";
import { defaultP2PScoringOptions, topicsFor } from "../src/index.js";
import {
  bytes,
  CHAIN_ID,
  framed,
  Harness,
  metricValue,
  textValidator,
  waitForConnection,
  waitForEvent,
  waitForSubscriber,
  waitUntil,
} from "./helpers.js";

const topic = topicsFor(CHAIN_ID).results;
const h = new Harness();
afterEach(() => h.cleanup());

describe("peer scoring", () => {
  it("behavior: a peer spamming invalid messages is graylisted, disconnected and refused; nothing it sent propagates", async () => {
    // honest1 <- honest2 (bootstrap), honest1 <- malicious (plain gossipsub, no validation).
    const { node: honest1, registry: registry1 } = await h.node();
    const received1: string[] = [];
    honest1.subscribe(topic, textValidator, (value) => void received1.push(value));
    await honest1.start();
    const hubAddr = honest1.multiaddrs[0]!;

    const { node: honest2, registry: registry2 } = await h.node({ bootstrapPeers: [hubAddr.toString()] });
    const received2: string[] = [];
    honest2.subscribe(topic, textValidator, (value) => void received2.push(value));
    await honest2.start();

    const malicious = await h.plainNode();
    malicious.services.pubsub.subscribe(topic);
    await malicious.dial(hubAddr);
    await waitForSubscriber(malicious.services.pubsub, topic, honest1.peerId);
    await Promise.all([honest1.waitForTopicPeers(topic, 2), honest2.waitForTopicPeers(topic, 1)]);

    // While it behaves, its messages are forwarded: malicious -> honest1 -> honest2.
    const forwarded = waitForEvent<{ result: string }>(honest2, "message:validated");
    await malicious.services.pubsub.publish(topic, framed("ok:hello"));
    expect(await forwarded).toMatchObject({ result: "accept" });

    const graylisted = waitForEvent<{ peerId: PeerId; score: number }>(honest1, "peer:graylisted", (d) =>
      d.peerId.equals(malicious.peerId),
    );
    const disconnected = Promise.all([
      waitForEvent<PeerId>(honest1.libp2p, "peer:disconnect", (p) => p.equals(malicious.peerId)),
      waitForEvent<PeerId>(malicious, "peer:disconnect", (p) => p.equals(honest1.peerId)),
    ]);
    for (let i = 0; i < 6; i++) {
      await malicious.services.pubsub.publish(topic, framed(`garbage-${i}`)).catch(() => {});
    }
    const { score } = await graylisted;
    await disconnected;

    const { graylistThreshold } = defaultP2PScoringOptions;
    expect(score).toBeLessThan(graylistThreshold);
    // The score is retained after the disconnect, and the peer cannot come back while it lasts.
    expect(honest1.peerScore(malicious.peerId)).toBeLessThan(graylistThreshold);
    expect(
      await metricValue(registry1, "opg_p2p_messages_total", { topic, result: "reject" }),
    ).toBeGreaterThanOrEqual(3);
    expect(await metricValue(registry1, "opg_p2p_graylist_disconnects_total")).toBe(1);
    // A redial may complete on the malicious side (noise finishes before our gater runs), but our
    // side refuses it, so it closes at once and never shows up as a connection here.
    let readmitted = 0;
    const onConnect = (evt: CustomEvent<PeerId>): void => {
      if (evt.detail.equals(malicious.peerId)) readmitted += 1;
    };
    honest1.libp2p.addEventListener("peer:connect", onConnect);
    await malicious.dial(hubAddr).catch(() => undefined);
    await waitUntil(
      malicious,
      ["peer:disconnect"],
      () => malicious.getConnections(honest1.peerId).length === 0,
    );
    honest1.libp2p.removeEventListener("peer:connect", onConnect);
    expect(readmitted).toBe(0);
    expect(honest1.libp2p.getConnections(malicious.peerId)).toHaveLength(0);

    // honest1 -> honest2 is one ordered stream: once honest2 has honest1's marker, anything honest1
    // had forwarded before it would have arrived too. Only "hello" and the marker did.
    await waitForConnection(honest1.libp2p, honest2.peerId);
    const marker = waitForEvent<{ result: string }>(honest2, "message:validated");
    await honest1.publish(topic, bytes("ok:marker"));
    await marker;
    expect(received2).toEqual(["hello", "marker"]);
    expect(await metricValue(registry2, "opg_p2p_messages_total", { topic, result: "reject" })).toBe(0);
    expect(received1).toEqual(["hello"]);
    expect(honest2.peerScore(honest1.peerId)).toBeGreaterThanOrEqual(0);
  });
});
