import { describe, expect, it } from "vitest";
import { defaultP2PNodeOptions, P2PError, resolveP2PNodeOptions } from "../src/index.js";

const required = { chainId: 1, peerKeyPath: "/tmp/opg/peer.key" };
const peer = "/ip4/10.0.0.1/tcp/9000/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";

describe("resolveP2PNodeOptions", () => {
  it("default", () => {
    const o = resolveP2PNodeOptions(required);
    expect(o).toEqual({ ...defaultP2PNodeOptions, ...required });
  });

  it("args: overrides merge one level deep", () => {
    const o = resolveP2PNodeOptions({
      ...required,
      staticPeers: [peer],
      gossip: { D: 3, Dlo: 2, Dhi: 4, Dscore: 2, Dout: 1 },
      scoring: { graylistThreshold: -500 },
    });
    expect(o.staticPeers).toEqual([peer]);
    expect(o.gossip.D).toBe(3);
    expect(o.gossip.heartbeatIntervalMs).toBe(defaultP2PNodeOptions.gossip.heartbeatIntervalMs);
    expect(o.scoring.graylistThreshold).toBe(-500);
    expect(o.scoring.invalidMessageDeliveriesWeight).toBe(
      defaultP2PNodeOptions.scoring.invalidMessageDeliveriesWeight,
    );
  });

  it("error: every problem is reported at once", () => {
    let error: unknown;
    try {
      resolveP2PNodeOptions({
        ...required,
        listenAddresses: ["not-a-multiaddr"],
        staticPeers: ["/ip4/10.0.0.1/tcp/9000"],
        gossip: { D: 2, Dlo: 3 },
        scoring: { graylistThreshold: 5 },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(P2PError);
    const details = (error as P2PError).details ?? "";
    expect((error as P2PError).code).toBe("INVALID_OPTIONS");
    expect(details).toContain("not a multiaddr: not-a-multiaddr");
    expect(details).toContain("staticPeers entry must be a multiaddr ending in /p2p/<peerId>");
    expect(details).toContain("Dlo <= D <= Dhi");
    expect(details).toContain("graylistThreshold <= publishThreshold");
  });
});
