import { createHash } from "node:crypto";
import type { Message } from "@libp2p/gossipsub";
import { afterEach, describe, expect, it, vi } from "vitest";
import { asGossipSubService } from "../src/GossipSubService.js";
import { gossipMessageId } from "../src/gossipMessageId.js";
import { GOSSIP_NONCE_BYTES, type MessageInfo, topicsFor, type ValidationOutcome } from "../src/index.js";
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

const topics = topicsFor(CHAIN_ID);
const topic = topics.results;
const h = new Harness();
afterEach(() => h.cleanup());

/** Collects the next `n` validation outcomes of `node`. */
function outcomes(node: EventTarget, n: number): Promise<ValidationOutcome[]> {
  const seen: ValidationOutcome[] = [];
  return waitForEvent<ValidationOutcome>(node, "message:validated", (o) => {
    seen.push(o);
    return seen.length === n;
  }).then(() => seen);
}

describe("MessagePipeline", () => {
  it("default: accept, IGNORE, REJECT and thrown errors are counted per topic and result", async () => {
    // Mild P4 weight: this test is about counting, not graylisting the sender halfway.
    const { node, registry } = await h.node({ scoring: { invalidMessageDeliveriesWeight: -0.01 } });
    const received: Array<{ value: string; info: MessageInfo }> = [];
    node.subscribe(topic, textValidator, (value, info) => void received.push({ value, info }), {
      maxBytes: 64,
    });
    await node.start();
    const delivered: Message[] = [];
    node.libp2p.services.pubsub.addEventListener(
      "gossipsub:message",
      (e) => void delivered.push(e.detail.msg),
    );

    const sender = await h.plainNode();
    await sender.dial(node.multiaddrs[0]!);
    await waitForSubscriber(sender.services.pubsub, topic, node.peerId);

    const done = outcomes(node, 5);
    for (const text of ["ok:1", "ignore:dup", "reject:bad", "boom", `ok:${"x".repeat(100)}`]) {
      await sender.services.pubsub.publish(topic, framed(text));
    }
    const seen = await done;

    expect(seen.map((o) => [o.result, o.code]).sort()).toEqual(
      [
        ["accept", undefined],
        ["ignore", "TEST_IGNORE"],
        ["reject", "TEST_REJECT"],
        ["reject", "UNEXPECTED"],
        ["reject", "MESSAGE_TOO_LARGE"],
      ].sort(),
    );
    expect(await metricValue(registry, "opg_p2p_messages_total", { topic, result: "accept" })).toBe(1);
    expect(await metricValue(registry, "opg_p2p_messages_total", { topic, result: "ignore" })).toBe(1);
    expect(await metricValue(registry, "opg_p2p_messages_total", { topic, result: "reject" })).toBe(3);
    expect(
      await metricValue(registry, "opg_p2p_validation_errors_total", { topic, code: "UNEXPECTED" }),
    ).toBe(1);
    expect(
      await metricValue(
        registry,
        "opg_p2p_validation_duration_seconds",
        { topic },
        "opg_p2p_validation_duration_seconds_count",
      ),
    ).toBe(5);
    expect(await metricValue(registry, "opg_p2p_peers")).toBe(1);
    // No envelope: the message names no author, and its id is its content's hash,
    // sha256(topic length ‖ topic ‖ nonce ‖ message)[0..20], the id the pipeline reports.
    expect(delivered).toHaveLength(1);
    const msg = delivered[0]!;
    expect(msg.type).toBe("unsigned");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(Buffer.byteLength(topic));
    const expectedId = createHash("sha256")
      .update(length)
      .update(topic)
      .update(msg.data)
      .digest()
      .subarray(0, 20);
    expect(Buffer.from(gossipMessageId(msg))).toEqual(expectedId);
    expect(seen.find((o) => o.result === "accept")!.msgId).toBe(expectedId.toString("base64"));
    expect(new Uint8Array(msg.data.subarray(GOSSIP_NONCE_BYTES))).toEqual(bytes("ok:1"));
    // Validated once, delivered once, with the decoded value and the peer that sent it.
    expect(received).toHaveLength(1);
    expect(received[0]!.value).toBe("1");
    expect(received[0]!.info.propagationSource.equals(sender.peerId)).toBe(true);
  });

  it("default: a relay whose validation outlasts its message cache still forwards what it accepts", async () => {
    // The hub's cache holds a message for 3 heartbeats of 100 ms; its validator takes 1 s (a chain
    // read on a loaded verifier). b and c know only the hub, so c hears b only through it.
    const { node: hub } = await h.node({ gossip: { mcacheLength: 3, mcacheGossip: 2 } });
    const slow = async (data: Uint8Array): Promise<string> => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return textValidator(data);
    };
    hub.subscribe(topic, slow, () => {});
    await hub.start();
    // An IWANT promise for the message is kept when it arrives, not when our validation ends.
    const tracer = asGossipSubService(hub.libp2p.services.pubsub).gossipTracer;
    const kept: string[] = [];
    const deliver = tracer.deliverMessage.bind(tracer);
    vi.spyOn(tracer, "deliverMessage").mockImplementation((msgId) => {
      kept.push(msgId);
      deliver(msgId);
    });
    let hubAccepted = false;
    const atHub = waitForEvent<ValidationOutcome>(
      hub,
      "message:validated",
      (o) => o.result === "accept",
    ).then((o) => {
      hubAccepted = true;
      return o;
    });
    const bootstrapPeers = [hub.multiaddrs[0]!.toString()];
    const { node: b } = await h.node({ bootstrapPeers });
    const { node: c } = await h.node({ bootstrapPeers });
    const atC: string[] = [];
    b.subscribe(topic, textValidator, () => {});
    c.subscribe(topic, textValidator, (value) => void atC.push(value));
    await Promise.all([b.start(), c.start()]);
    await Promise.all([
      hub.waitForTopicPeers(topic, 2),
      b.waitForTopicPeers(topic, 1),
      c.waitForTopicPeers(topic, 1),
    ]);

    const relayed = waitForEvent<ValidationOutcome>(c, "message:validated", (o) => o.result === "accept");
    await b.publish(topic, bytes("ok:slow"));
    await vi.waitFor(() => expect(kept.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    expect(hubAccepted).toBe(false); // kept while the hub's validator still runs
    expect((await atHub).msgId).toBe(kept[0]);
    await relayed;
    expect(atC).toEqual(["slow"]);
  });

  it("error: oversized frames, garbage and throwing handlers do not crash the node", async () => {
    const { node } = await h.node({ maxMessageBytes: 1024, maxRpcBytes: 4096 });
    const received: string[] = [];
    node.subscribe(topic, textValidator, (value) => {
      received.push(value);
      if (value === "throw") throw new Error("handler bug");
    });
    await node.start();

    const attacker = await h.plainNode();
    await attacker.dial(node.multiaddrs[0]!);
    await waitForSubscriber(attacker.services.pubsub, topic, node.peerId);

    // Over the topic cap but within one RPC frame: our size check REJECTs it before the validator.
    const tooLarge = waitForEvent<ValidationOutcome>(node, "message:validated");
    await attacker.services.pubsub.publish(topic, framed(new Uint8Array(2048).fill(0x61)));
    expect(await tooLarge).toMatchObject({ result: "reject", code: "MESSAGE_TOO_LARGE" });

    // Over the RPC frame cap: gossipsub drops the attacker's stream without decoding it.
    const gs = node.libp2p.services.pubsub;
    await attacker.services.pubsub.publish(topic, framed(new Uint8Array(8192)));
    await waitUntil(gs, ["gossipsub:heartbeat"], () => !gs.getPeers().some((p) => p.equals(attacker.peerId)));

    // The node still works for honest peers, and a throwing handler is contained.
    const { node: honest } = await h.node({ bootstrapPeers: [node.multiaddrs[0]!.toString()] });
    await honest.start();
    await waitForConnection(node.libp2p, honest.peerId);
    await honest.waitForTopicPeers(topic, 1);
    const accepted = waitForEvent<ValidationOutcome>(node, "message:validated", (o) => o.result === "accept");
    await honest.publish(topic, bytes("ok:throw"));
    await accepted;
    const after = waitForEvent<ValidationOutcome>(node, "message:validated", (o) => o.result === "accept");
    await honest.publish(topic, bytes("ok:after"));
    await after;
    expect(received).toEqual(["throw", "after"]);
  });

  it("error: a message signed as gossipsub does by default, or shorter than its nonce, never reaches the topic's validator", async () => {
    const { node, registry } = await h.node({ scoring: { invalidMessageDeliveriesWeight: -0.01 } });
    const validator = vi.fn(textValidator);
    node.subscribe(topic, validator, () => {});
    await node.start();
    const gs = asGossipSubService(node.libp2p.services.pubsub);

    // A node that signs envelopes (gossipsub's default, opg's version 1): gossipsub itself refuses
    // each message (a signature is present) and scores the sender for it (P4).
    const signer = await h.plainNode({ signed: true });
    await signer.dial(node.multiaddrs[0]!);
    await waitForSubscriber(signer.services.pubsub, topic, node.peerId);
    await signer.services.pubsub.publish(topic, framed("ok:signed"));
    await waitUntil(gs, ["gossipsub:heartbeat"], () => gs.getScore(signer.peerId.toString()) < 0);

    // Data shorter than the nonce: the pipeline REJECTs it before the size cap and the validator.
    const sender = await h.plainNode();
    await sender.dial(node.multiaddrs[0]!);
    await waitForSubscriber(sender.services.pubsub, topic, node.peerId);
    const outcome = waitForEvent<ValidationOutcome>(node, "message:validated");
    await sender.services.pubsub.publish(topic, bytes("ok:1"));
    expect(await outcome).toMatchObject({ result: "reject", code: "BAD_FRAME" });
    expect(await metricValue(registry, "opg_p2p_validation_errors_total", { topic, code: "BAD_FRAME" })).toBe(
      1,
    );
    expect(validator).not.toHaveBeenCalled();
  });
});
