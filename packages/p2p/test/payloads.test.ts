import { keccak256Bytes } from "@opg/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PAYLOAD_PROTOCOL } from "../src/index.js";
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

  it("limit: one peer holds at most maxServesPerPeer requests; spare ids share maxConcurrentServes; a static or exempt peer is served beyond it", async () => {
    const held = payload(1_000, 4);
    const hash = keccak256Bytes(held);
    const { node: trusted } = await h.node();
    await trusted.start();
    const { node: server } = await h.node({
      exemptPeers: [trusted.peerId.toString()],
      payloads: { maxConcurrentServes: 2, maxServesPerPeer: 2, fetchTimeoutMs: 5_000 },
    });
    await server.servePayloads(() => held);
    await server.start();
    const { node: flooder } = await h.node();
    await flooder.start();
    const { node: other } = await h.node();
    await other.start();
    for (const n of [trusted, flooder, other]) await n.libp2p.dial(server.multiaddrs[0]!);
    // The flooder opens requests and never sends a hash: the server waits on each until its timeout.
    const stalled = [];
    for (let i = 0; i < 2; i++)
      stalled.push(await flooder.libp2p.dialProtocol(server.peerId, PAYLOAD_PROTOCOL));
    await new Promise((r) => setTimeout(r, 200));
    // Its third is refused (per peer); another untrusted peer finds the shared slots taken...
    await expect(flooder.fetchPayload(hash, [server.peerId])).rejects.toMatchObject({
      code: "PAYLOAD_NOT_FOUND",
    });
    await expect(other.fetchPayload(hash, [server.peerId])).rejects.toMatchObject({
      code: "PAYLOAD_NOT_FOUND",
    });
    // ...while a configured peer is still served.
    expect(await trusted.fetchPayload(hash, [server.peerId])).toEqual(held);
    for (const s of stalled) s.abort(new Error("done"));
    // Slots come back when the stalled requests end.
    await vi.waitFor(async () => expect(await other.fetchPayload(hash, [server.peerId])).toEqual(held), {
      timeout: 8_000,
      interval: 250,
    });
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

describe("results by result hash", () => {
  const hash = `0x${"ab".repeat(32)}` as const;

  it("default: a peer fetches a result message by hash; the caller's check decides what counts", async () => {
    const message = payload(2_000, 5);
    const { node: server } = await h.node();
    await server.serveResults((h) => (h === hash ? message : undefined));
    await server.start();
    const { node: client, registry } = await h.node();
    await client.start();
    await client.libp2p.dial(server.multiaddrs[0]!);
    const seen: Uint8Array[] = [];
    const accept = async (bytes: Uint8Array) => {
      seen.push(bytes);
      return true;
    };
    // The result hash is not a digest of the bytes: nothing but the caller's check applies.
    expect(await client.fetchResult(hash, accept)).toEqual(message);
    expect(seen).toEqual([message]);
    expect(await metricValue(registry, "opg_p2p_result_fetches_total", { result: "ok" })).toBe(1);
    await expect(client.fetchResult(`0x${"cd".repeat(32)}`, accept)).rejects.toMatchObject({
      code: "PAYLOAD_NOT_FOUND",
    });
    // The payload protocol is another: the same server holds no payload under that hash.
    await expect(client.fetchPayload(hash)).rejects.toMatchObject({ code: "PAYLOAD_NOT_FOUND" });
  });

  it("behavior: a peer whose answer the check refuses is charged and the next is asked; a check that fails on our side charges no one", async () => {
    const message = payload(2_000, 5);
    const { node: liar } = await h.node();
    await liar.serveResults(() => payload(2_000, 6));
    await liar.start();
    const { node: honest } = await h.node();
    await honest.serveResults((h) => (h === hash ? message : undefined));
    await honest.start();
    const { node: client, registry } = await h.node();
    await client.start();
    await client.libp2p.dial(liar.multiaddrs[0]!);
    // Only the liar is connected: refused, charged, and nothing else holds it.
    const accept = async (bytes: Uint8Array) => bytes[0] === 5;
    await expect(client.fetchResult(hash, accept)).rejects.toMatchObject({ code: "PAYLOAD_NOT_FOUND" });
    expect(await metricValue(registry, "opg_p2p_result_fetches_total", { result: "mismatch" })).toBe(1);
    expect(client.appScore(liar.peerId)).toBeLessThan(0);
    const charged = client.appScore(liar.peerId);
    // Our own check failing (e.g. our chain view lagging) is nobody's fault.
    await expect(
      client.fetchResult(hash, async () => {
        throw new Error("our chain is behind");
      }),
    ).rejects.toMatchObject({ code: "PAYLOAD_NOT_FOUND" });
    expect(client.appScore(liar.peerId)).toBeGreaterThanOrEqual(charged); // decays; never charged again
    await client.libp2p.dial(honest.multiaddrs[0]!);
    expect(await client.fetchResult(hash, accept)).toEqual(message);
  });
});
