import type { Logger } from "@opg/daemon";
import type { Hex } from "viem";
import type { ResultIntake } from "../pipeline/ResultIntake.js";
import { BLAMELESS_RESULT_IGNORES, ResultRejected } from "../pipeline/ResultValidator.js";
import { peekResultHash } from "../pipeline/resultHeader.js";
import type { VerifyMetrics } from "../verifyMetrics.js";

export type MissingResultsOptions = {
  /** Result hashes waiting to be fetched (the newest beyond it are not taken). */
  maxQueued: number;
  /** Fetches running at once. */
  concurrency: number;
  /** A hash no peer could serve is not asked for again before this. */
  retryAfterMs: number;
};

export const defaultMissingResultsOptions: MissingResultsOptions = {
  maxQueued: 8_192,
  concurrency: 4,
  retryAfterMs: 5_000,
};

/**
 * Fetches, by result hash, the results a leader's batch proposal lists that gossip never brought
 * this verifier (a dropped connection; a neighbour that holds the result ignores the executor's
 * republished copy as a duplicate and does not forward it). Each answer is checked as gossip
 * would be, cheapest first: the header's hash must be the one asked for (one keccak, before any
 * signature), then the intake validates and stores it, so nothing unauthenticated is kept and a
 * fetched result counts only once it is verified here. Once stored, the batch coordinator signs
 * the proposal at its next tick.
 *
 * Bounded: only proposals that passed the leader check ask; at most `maxQueued` hashes wait,
 * `concurrency` fetches run, and a hash nobody served waits `retryAfterMs` before it is asked
 * for again, so a proposal listing unknown hashes costs each follower a few requests per peer.
 */
export class MissingResults {
  private readonly options: MissingResultsOptions;
  private readonly queue: Hex[] = [];
  /** Queued or being fetched. */
  private readonly wanted = new Set<string>();
  /** When a hash nobody served was last asked for (bounded like the queue). */
  private readonly failedAt = new Map<string, number>();
  private active = 0;
  private stopped = false;
  private controller = new AbortController();

  constructor(
    options: Partial<MissingResultsOptions>,
    private readonly deps: {
      /** Asks the peers for the result message `hash`, each answer checked by `accept`. */
      fetch: (
        hash: Hex,
        accept: (bytes: Uint8Array) => Promise<boolean>,
        signal: AbortSignal,
      ) => Promise<unknown>;
      intake: Pick<ResultIntake, "validate" | "accept">;
      logger: Logger;
      metrics?: VerifyMetrics | null | undefined;
      now?: (() => number) | undefined;
    },
  ) {
    this.options = { ...defaultMissingResultsOptions, ...options };
  }

  /** Fetches those of `hashes` not already queued, being fetched, or recently not found. */
  want(hashes: readonly Hex[]): void {
    if (this.stopped) return;
    const now = (this.deps.now ?? Date.now)();
    for (const hash of hashes) {
      const key = hash.toLowerCase();
      if (this.wanted.has(key)) continue;
      const failed = this.failedAt.get(key);
      if (failed !== undefined && now - failed < this.options.retryAfterMs) continue;
      if (this.queue.length >= this.options.maxQueued) break;
      this.wanted.add(key);
      this.queue.push(hash);
    }
    this.pump();
  }

  /** Hashes queued or being fetched. */
  get pending(): number {
    return this.wanted.size;
  }

  /** Takes requests again after `stop()` (a new instance takes them from the start). */
  start(): void {
    this.stopped = false;
    this.controller = new AbortController();
  }

  /** Aborts the fetches in flight and drops the queue; `want` is ignored until `start()`. */
  stop(): void {
    this.stopped = true;
    this.controller.abort();
    this.queue.length = 0;
    this.wanted.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.options.concurrency && this.queue.length > 0) {
      const hash = this.queue.shift()!;
      this.active += 1;
      void this.fetchOne(hash).finally(() => {
        this.active -= 1;
        this.wanted.delete(hash.toLowerCase());
        this.pump();
      });
    }
  }

  private async fetchOne(hash: Hex): Promise<void> {
    let outcome: "ok" | "deferred" = "ok";
    const accept = async (bytes: Uint8Array): Promise<boolean> => {
      const a = await this.accept(hash, bytes);
      if (a === "deferred") outcome = a;
      return a !== "refused";
    };
    try {
      await this.deps.fetch(hash, accept, this.controller.signal);
      this.deps.metrics?.resultsFetched.inc({ result: outcome });
      this.deps.logger.debug({ resultHash: hash, outcome }, "fetched a result a proposal lists");
      if (outcome === "ok") this.failedAt.delete(hash.toLowerCase());
      // The chain could not be read: asked again after the back-off (an authenticated copy is also
      // kept by the intake and checked again once the chain answers).
      else this.backOff(hash);
    } catch (err) {
      if (this.stopped) return;
      this.backOff(hash);
      this.deps.metrics?.resultsFetched.inc({ result: "not_found" });
      this.deps.logger.debug(
        { resultHash: hash, err: String(err) },
        "no peer served a result a proposal lists",
      );
    }
  }

  private backOff(hash: Hex): void {
    this.failedAt.delete(hash.toLowerCase());
    this.failedAt.set(hash.toLowerCase(), (this.deps.now ?? Date.now)());
    if (this.failedAt.size > this.options.maxQueued) {
      this.failedAt.delete(this.failedAt.keys().next().value as string);
    }
  }

  /**
   * Whether `bytes` are the result `hash`: "ok" once verified and stored here (or held already),
   * "deferred" when the chain could not be read to check it, "refused" when the peer sent
   * anything else. Throws when the refusal is not the peer's fault (the next peer is asked).
   */
  private async accept(hash: Hex, bytes: Uint8Array): Promise<"ok" | "deferred" | "refused"> {
    if (peekResultHash(bytes)?.toLowerCase() !== hash.toLowerCase()) {
      this.deps.logger.debug({ resultHash: hash, bytes: bytes.length }, "a peer answered another result");
      return "refused";
    }
    try {
      this.deps.intake.accept(await this.deps.intake.validate(bytes));
      return "ok";
    } catch (err) {
      if (!(err instanceof ResultRejected)) throw err;
      if (err.code === "DUPLICATE") return "ok"; // gossip won the race
      if (err.code === "CHAIN_UNAVAILABLE") return "deferred";
      // Our chain view lagging, our own failure: not the peer's fault, so not charged.
      if (BLAMELESS_RESULT_IGNORES.includes(err.code)) throw err;
      this.deps.logger.debug(
        { resultHash: hash, code: err.code },
        "a peer answered a result that fails validation",
      );
      return "refused";
    }
  }
}
