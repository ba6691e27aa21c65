import { keccak256Bytes } from "@opg/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { Harness, metricValue } from "./helpers.js";

const h = new Harness();
afterEach(() => h.cleanup());

const payload = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("payloads on demand", () => {
  it("default: a peer fetches a payload by hash from the peer holding it, checked against the hash", async () => {
    const held = payload(300_000, 7);
    const hash = keccak256Bytes(held);
    const { node: server } = await h.node();
    await server.servePayloads((h) => (h === hash ? held : undefined));
    await server.start();
    const { node: client, registry } = await h.node({ bootstrapPeers: [server.multiaddrs[0]!.toString()] });
    await client.start();
    await client.libp2p.dial(server.multiaddrs[0]!);
    expect(await client.fetchPayload(hash)).toEqual(held);
    expect(await metricValue(registry, "opg_p2p_payload_fetches_total", { result: "ok" })).toBe(1);
    await expect(client.fetchPayload(keccak256Bytes(payload(3, 1)))).rejects.toMatchObject({
      code: "PAYLOAD_NOT_FOUND",
    });
  });

  it("behavior: a peer answering bytes of another hash is skipped (and charged); the next peer serves", async () => {
    const held = payload(5_000, 9);
    const hash = keccak256Bytes(held);
    const { node: liar } = await h.node();
    await liar.servePayloads(() => payload(5_000, 8));
    await liar.start();
    const { node: honest } = await h.node();
    await honest.servePayloads((h) => (h === hash ? held : undefined));
    await honest.start();
    const { node: client, registry } = await h.node();
    await client.start();
    await client.libp2p.dial(liar.multiaddrs[0]!);
    await client.libp2p.dial(honest.multiaddrs[0]!);
    expect(await client.fetchPayload(hash, [liar.peerId, honest.peerId])).toEqual(held);
    expect(await metricValue(registry, "opg_p2p_payload_fetches_total", { result: "mismatch" })).toBe(1);
    expect(client.appScore(liar.peerId)).toBeLessThan(0);
  });

  it("error: a payload over maxPayloadBytes is neither served nor accepted", async () => {
    const big = payload(70_000, 3);
    const { node: server } = await h.node();
    await server.servePayloads(() => big);
    await server.start();
    const { node: client } = await h.node({ payloads: { maxPayloadBytes: 64 * 1024 } });
    await client.start();
    await client.libp2p.dial(server.multiaddrs[0]!);
    await expect(client.fetchPayload(keccak256Bytes(big))).rejects.toMatchObject({
      code: "PAYLOAD_NOT_FOUND",
    });
  });
});
