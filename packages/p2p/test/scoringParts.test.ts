import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { describe, expect, it } from "vitest";
import { IpColocation, ipOf, PeerPenalties } from "../src/index.js";

const conn = (peer: string, ip: string) => ({
  remotePeer: peerIdFromString(peer),
  remoteAddr: multiaddr(`/ip4/${ip}/tcp/4001`),
});
// Well-formed Ed25519 peer ids (identity multihash), generated once.
const IDS = [
  "12D3KooWKJnbVXbtbstY5uSFgY76cF2MmJCDfs3TXuMrKFmebdpA",
  "12D3KooWHb6wVzCVfpEenLdkxNFyCqNMQbp2wSs8eHFuMzhsNHqp",
  "12D3KooWPuW86n53KLryA55EBpVjDbAo8BpdG8wdqYW486LKhfwC",
  "12D3KooWHx217tSnima37TaZafRFQDMLrKe2nNt3HUvbuye9McGA",
];

describe("IpColocation", () => {
  it("default: ids over the threshold on one IP pay weight · surplus²; exempt ids neither count nor pay", () => {
    const exempt = IDS[0]!;
    const c = new IpColocation((id) => id === exempt, { threshold: 1, weight: -5 });
    for (const id of IDS) c.onOpen(conn(id, "10.0.0.1"));
    expect(c.peersOn("10.0.0.1")).toBe(3);
    expect(c.score(IDS[1]!)).toBe(-5 * 2 * 2);
    expect(c.score(exempt)).toBe(0);
    c.onClose(conn(IDS[3]!, "10.0.0.1"));
    c.onClose(conn(IDS[2]!, "10.0.0.1"));
    expect(c.score(IDS[1]!)).toBe(0);
  });

  it("behavior: a peer with two connections counts once and leaves when both close", () => {
    const c = new IpColocation(() => false, { threshold: 1, weight: -1 });
    c.onOpen(conn(IDS[1]!, "10.0.0.2"));
    c.onOpen(conn(IDS[1]!, "10.0.0.2"));
    expect(c.peersOn("10.0.0.2")).toBe(1);
    c.onClose(conn(IDS[1]!, "10.0.0.2"));
    expect(c.peersOn("10.0.0.2")).toBe(1);
    c.onClose(conn(IDS[1]!, "10.0.0.2"));
    expect(c.peersOn("10.0.0.2")).toBe(0);
  });

  it("args: ipOf reads ip4 and ip6, nothing else", () => {
    expect(ipOf("/ip4/1.2.3.4/tcp/1")).toBe("1.2.3.4");
    expect(ipOf("/ip6/::1/tcp/1")).toBe("::1");
    expect(ipOf("/dns4/example.com/tcp/1")).toBeUndefined();
    expect(ipOf("garbage")).toBeUndefined();
  });
});

describe("PeerPenalties", () => {
  const options = {
    ignoreAllowance: 10,
    ignoreWeight: -1,
    ignoreDecay: 0.5,
    oversizedWeight: -50,
    oversizedDecay: 0.5,
    maxPeers: 2,
  };

  it("default: IGNOREs are free up to the allowance, then cost weight · excess²; counts decay", () => {
    let now = 0;
    const p = new PeerPenalties(options, () => now);
    p.add("a", "ignore", 10);
    expect(p.score("a")).toBe(0);
    p.add("a", "ignore", 4);
    expect(p.score("a")).toBe(-16);
    now = 1000; // one second: the count halves to 7
    expect(p.count("a", "ignore")).toBe(7);
    expect(p.score("a")).toBe(0);
    p.add("a", "oversized");
    expect(p.score("a")).toBe(-50);
  });

  it("behavior: bounded: the least recently penalised peer is dropped; decayed peers are pruned", () => {
    let now = 0;
    const p = new PeerPenalties(options, () => now);
    p.add("a", "ignore");
    p.add("b", "ignore");
    p.add("c", "ignore");
    expect(p.size).toBe(2);
    expect(p.count("a", "ignore")).toBe(0);
    now = 60_000;
    p.prune();
    expect(p.size).toBe(0);
  });
});
