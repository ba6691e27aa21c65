import type { Connection, PeerId } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";

/**
 * IP colocation (gossipsub's P6) counted our way: only connected peers count, and peers we
 * trust (static peers, the allowlist) neither count nor are penalised. Gossipsub's own P6 counts
 * every peer whose score it retains (an hour after they leave) and cannot exempt a peer id, so
 * ten idle ids on the honest nodes' address could push those honest nodes under the graylist
 * threshold and keep them there (a partition). Here the ids over the threshold pay, not the
 * honest nodes beside them.
 */
export class IpColocation {
  /** Connected, non-exempt peer ids by IP. */
  private readonly byIp = new Map<string, Set<string>>();
  /** The IPs of each connected peer (a peer may hold several connections). */
  private readonly ipsOf = new Map<string, Map<string, number>>();

  constructor(
    private readonly exempt: (peer: string) => boolean,
    private readonly options: { threshold: number; weight: number },
  ) {}

  onOpen(conn: Pick<Connection, "remotePeer" | "remoteAddr">): void {
    const ip = ipOf(conn.remoteAddr.toString());
    if (ip === undefined) return;
    const peer = conn.remotePeer.toString();
    let ips = this.ipsOf.get(peer);
    if (ips === undefined) {
      ips = new Map();
      this.ipsOf.set(peer, ips);
    }
    ips.set(ip, (ips.get(ip) ?? 0) + 1);
    if (this.exempt(peer)) return;
    let peers = this.byIp.get(ip);
    if (peers === undefined) {
      peers = new Set();
      this.byIp.set(ip, peers);
    }
    peers.add(peer);
  }

  onClose(conn: Pick<Connection, "remotePeer" | "remoteAddr">): void {
    const ip = ipOf(conn.remoteAddr.toString());
    if (ip === undefined) return;
    const peer = conn.remotePeer.toString();
    const ips = this.ipsOf.get(peer);
    const n = (ips?.get(ip) ?? 0) - 1;
    if (ips !== undefined && n > 0) {
      ips.set(ip, n);
      return;
    }
    ips?.delete(ip);
    if (ips !== undefined && ips.size === 0) this.ipsOf.delete(peer);
    const peers = this.byIp.get(ip);
    peers?.delete(peer);
    if (peers !== undefined && peers.size === 0) this.byIp.delete(ip);
  }

  /** Non-exempt peers connected from `ip`. */
  peersOn(ip: string): number {
    return this.byIp.get(ip)?.size ?? 0;
  }

  /** The (non-positive) colocation score of `peer`: weight · surplus² over its IPs. */
  score(peer: PeerId | string): number {
    const id = peer.toString();
    if (this.exempt(id) || this.options.weight === 0) return 0;
    let score = 0;
    for (const ip of this.ipsOf.get(id)?.keys() ?? []) {
      const surplus = this.peersOn(ip) - this.options.threshold;
      if (surplus > 0) score += this.options.weight * surplus * surplus;
    }
    return score;
  }

  clear(): void {
    this.byIp.clear();
    this.ipsOf.clear();
  }
}

/** The IP of an `/ip4/…` or `/ip6/…` multiaddr; undefined for anything else (relays, DNS). */
export function ipOf(addr: string): string | undefined {
  try {
    const c = multiaddr(addr).getComponents()[0];
    return c !== undefined && (c.name === "ip4" || c.name === "ip6") ? c.value : undefined;
  } catch {
    return undefined;
  }
}
