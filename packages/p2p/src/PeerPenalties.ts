/** What a peer did that gossipsub's own score does not see. */
export type PenaltyKind = "ignore" | "oversized";

export type PeerPenaltiesOptions = {
  /** Per-second decay of a peer's IGNORE count (as gossipsub's counters decay). */
  ignoreDecay: number;
  /** IGNOREd messages a peer may send (decayed count) before they cost score. */
  ignoreAllowance: number;
  /** Score per squared IGNORE above the allowance (negative). */
  ignoreWeight: number;
  /** Per-second decay of a peer's oversized-frame count. */
  oversizedDecay: number;
  /** Score per squared oversized frame (negative). */
  oversizedWeight: number;
  /** Peers tracked (least recently penalised dropped first). */
  maxPeers: number;
};

type Counter = { value: number; at: number };

/**
 * Decaying per-peer counts of what costs us without being a REJECT: IGNORE-class floods (messages
 * we dropped at our own cost, e.g. stale or unknown, whose sender gossipsub would never penalise)
 * and RPC frames over `maxRpcBytes`. Their penalty enters gossipsub's score as the app-specific
 * score (P5), so it graylists and disconnects like any other score.
 */
export class PeerPenalties {
  private readonly counters = new Map<string, Map<PenaltyKind, Counter>>();

  constructor(
    private readonly options: PeerPenaltiesOptions,
    private readonly now: () => number = Date.now,
  ) {}

  add(peer: string, kind: PenaltyKind, n = 1): void {
    let kinds = this.counters.get(peer);
    if (kinds === undefined) {
      kinds = new Map();
    } else {
      this.counters.delete(peer); // re-insert: most recently penalised last
    }
    this.counters.set(peer, kinds);
    const value = this.value(kinds.get(kind), kind) + n;
    kinds.set(kind, { value, at: this.now() });
    if (this.counters.size > this.options.maxPeers) {
      this.counters.delete(this.counters.keys().next().value as string);
    }
  }

  /** The decayed count of `kind` for `peer`. */
  count(peer: string, kind: PenaltyKind): number {
    return this.value(this.counters.get(peer)?.get(kind), kind);
  }

  /** The (non-positive) score these penalties give `peer`. */
  score(peer: string): number {
    const o = this.options;
    const ignores = Math.max(0, this.count(peer, "ignore") - o.ignoreAllowance);
    const oversized = this.count(peer, "oversized");
    const score = o.ignoreWeight * ignores * ignores + o.oversizedWeight * oversized * oversized;
    return score === 0 ? 0 : score; // never -0
  }

  /** Forgets peers whose counts have decayed to nothing. */
  prune(): void {
    for (const [peer, kinds] of this.counters) {
      if ([...kinds.keys()].every((kind) => this.count(peer, kind) < 0.01)) this.counters.delete(peer);
    }
  }

  get size(): number {
    return this.counters.size;
  }

  private value(c: Counter | undefined, kind: PenaltyKind): number {
    if (c === undefined) return 0;
    const decay = kind === "ignore" ? this.options.ignoreDecay : this.options.oversizedDecay;
    return c.value * decay ** ((this.now() - c.at) / 1000);
  }
}
