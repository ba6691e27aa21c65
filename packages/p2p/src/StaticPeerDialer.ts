import type { Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { CODE_P2P, type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import type { Logger } from "@opg/protocol";

/** Peer-store tag that protects static peers from connection pruning. */
export const STATIC_PEER_TAG = "opg-static-peer";

export type StaticPeerDialerOptions = {
  /** Static peers, each `/…/p2p/<peerId>`. */
  peers: readonly string[];
  minBackoffMs: number;
  maxBackoffMs: number;
};

type Entry = {
  peerId: PeerId;
  addr: Multiaddr;
  /** Consecutive failed dials (or short-lived connections): drives the backoff. */
  failures: number;
  connectedAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
  dialing: boolean;
};

/**
 * Keeps the configured static peers connected: dials them at start and, whenever one drops,
 * redials it with capped exponential backoff and jitter, without giving up.
 */
export class StaticPeerDialer {
  private readonly entries = new Map<string, Entry>();
  private readonly controller = new AbortController();
  private running = false;

  constructor(
    private readonly libp2p: Libp2p,
    private readonly opts: StaticPeerDialerOptions,
    private readonly logger: Logger,
  ) {
    for (const str of opts.peers) {
      const addr = multiaddr(str);
      const id = addr.getComponents().findLast((c) => c.code === CODE_P2P)?.value;
      if (id === undefined) continue; // rejected by option validation already
      const peerId = peerIdFromString(id);
      if (peerId.equals(libp2p.peerId)) continue; // a shared peer list may include this node
      this.entries.set(peerId.toString(), {
        peerId,
        addr,
        failures: 0,
        connectedAt: undefined,
        timer: undefined,
        dialing: false,
      });
    }
  }

  async start(): Promise<void> {
    this.running = true;
    for (const entry of this.entries.values()) {
      await this.libp2p.peerStore.merge(entry.peerId, {
        multiaddrs: [entry.addr],
        tags: { [STATIC_PEER_TAG]: { value: 100 } },
      });
    }
    this.libp2p.addEventListener("peer:connect", this.onConnect);
    this.libp2p.addEventListener("peer:disconnect", this.onDisconnect);
    for (const entry of this.entries.values()) this.schedule(entry, 0);
  }

  stop(): void {
    this.running = false;
    this.controller.abort();
    this.libp2p.removeEventListener("peer:connect", this.onConnect);
    this.libp2p.removeEventListener("peer:disconnect", this.onDisconnect);
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  /** Whether `peerId` is one of the static peers. */
  has(peerId: PeerId): boolean {
    return this.entries.has(peerId.toString());
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const entry = this.entries.get(evt.detail.toString());
    if (entry === undefined) return;
    entry.connectedAt = Date.now();
    clearTimeout(entry.timer);
    entry.timer = undefined;
  };

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const entry = this.entries.get(evt.detail.toString());
    if (entry === undefined || !this.running) return;
    // A connection that lived longer than the backoff ceiling was healthy: start over. A peer that
    // keeps accepting and dropping us keeps escalating instead of being redialled in a hot loop.
    if (entry.connectedAt !== undefined && Date.now() - entry.connectedAt > this.opts.maxBackoffMs) {
      entry.failures = 0;
    }
    entry.connectedAt = undefined;
    entry.failures += 1;
    this.logger.info({ peer: entry.peerId.toString() }, "static peer disconnected, redialling");
    this.schedule(entry, this.backoff(entry.failures));
  };

  private schedule(entry: Entry, delayMs: number): void {
    if (!this.running || entry.timer !== undefined || entry.dialing) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.dial(entry);
    }, delayMs);
  }

  private async dial(entry: Entry): Promise<void> {
    if (!this.running || this.libp2p.getConnections(entry.peerId).length > 0) return;
    entry.dialing = true;
    try {
      await this.libp2p.dial(entry.addr, { signal: this.controller.signal });
      this.logger.debug({ peer: entry.peerId.toString() }, "static peer connected");
    } catch (err) {
      if (!this.running) return;
      entry.failures += 1;
      const delayMs = this.backoff(entry.failures);
      this.logger.debug(
        { peer: entry.peerId.toString(), failures: entry.failures, delayMs, err: String(err) },
        "static peer dial failed",
      );
      entry.dialing = false;
      this.schedule(entry, delayMs);
    } finally {
      entry.dialing = false;
    }
  }

  /** min · 2^(failures-1), capped at max, with ±20 % jitter so restarts do not dial in lockstep. */
  private backoff(failures: number): number {
    const base = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** Math.max(0, failures - 1));
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }
}
