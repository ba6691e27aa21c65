import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, type GossipsubOpts, gossipsub, StrictNoSign, StrictSign } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { Metrics } from "@opg/daemon";
import { ValidationError } from "@opg/protocol";
import { createLibp2p } from "libp2p";
import type { Registry } from "prom-client";
import {
  frameGossip,
  gossipMessageId,
  gossipMessageIdString,
  P2PNode,
  type P2PNodeInit,
} from "../src/index.js";

export const CHAIN_ID = 31337;

/** Small-network gossip settings: tiny mesh, 100 ms heartbeat, so meshes form in a few heartbeats. */
export const testGossip = { D: 2, Dlo: 1, Dhi: 3, Dscore: 1, Dout: 0, Dlazy: 2, heartbeatIntervalMs: 100 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
/** A gossip message's data as opg nodes publish it (a fresh nonce ‖ the message), for plain nodes. */
export const framed = (message: string | Uint8Array): Uint8Array =>
  frameGossip(typeof message === "string" ? bytes(message) : message);

/**
 * A toy wire format for tests: "ok:<value>" is accepted (decoded to value), "ignore:…" and
 * "reject:…" throw the matching ValidationError, "boom" throws a plain TypeError, anything else
 * is REJECTed as garbage.
 */
export async function textValidator(data: Uint8Array): Promise<string> {
  const text = decoder.decode(data);
  if (text.startsWith("ok:")) return text.slice(3);
  if (text.startsWith("ignore:")) throw new ValidationError("IGNORE", "TEST_IGNORE", "ignored by test");
  if (text.startsWith("reject:")) throw new ValidationError("REJECT", "TEST_REJECT", "rejected by test");
  if (text === "boom") throw new TypeError("validator bug");
  throw new ValidationError("REJECT", "TEST_GARBAGE", "not a test message");
}

/** Fresh temp dirs and started nodes, cleaned up by `cleanup()` (call it in afterEach). */
export class Harness {
  private readonly dirs: string[] = [];
  private readonly stoppers: Array<() => Promise<void> | void> = [];

  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "opg-p2p-"));
    this.dirs.push(dir);
    return dir;
  }

  /** A P2PNode on 127.0.0.1:0 with test gossip settings, not started. */
  async node(
    init: Partial<P2PNodeInit> = {},
    metrics = new Metrics({ defaultMetrics: false }),
  ): Promise<{ node: P2PNode; registry: Registry }> {
    const node = new P2PNode(
      {
        chainId: CHAIN_ID,
        peerKeyPath: join(await this.dir(), "peer.key"),
        listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
        bootstrapDelayMs: 0,
        reconnectMinBackoffMs: 50,
        reconnectMaxBackoffMs: 400,
        ...init,
        gossip: { ...testGossip, ...init.gossip },
      },
      { metrics },
    );
    this.stoppers.push(() => node.stop());
    return { node, registry: metrics.registry };
  }

  /**
   * A plain libp2p + gossipsub node with no validators: it publishes raw bytes (`framed` gives
   * them the nonce opg nodes expect), bypassing the validation our nodes do (the "malicious peer"
   * of the scoring tests). It speaks opg's gossip (no envelope signature, content ids) unless
   * `signed`: then it signs envelopes as gossipsub does by default (as version 1 of opg did).
   */
  async plainNode(opts: { signed?: boolean } = {}): Promise<Libp2p<{ pubsub: GossipSub }>> {
    const wire: Partial<GossipsubOpts> = opts.signed
      ? { globalSignaturePolicy: StrictSign }
      : {
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: gossipMessageId,
          msgIdToStrFn: gossipMessageIdString,
        };
    const node = await createLibp2p({
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({
          ...testGossip,
          ...wire,
          heartbeatInterval: 100,
          allowPublishToZeroTopicPeers: true,
        }),
      },
    });
    this.stoppers.push(() => node.stop());
    return node;
  }

  async cleanup(): Promise<void> {
    for (const stop of this.stoppers.splice(0).reverse()) await stop();
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves with the detail of the first `type` event matching `predicate`; rejects on timeout. */
export function waitForEvent<T>(
  target: EventTarget,
  type: string,
  predicate: (detail: T) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail;
      if (!predicate(detail)) return;
      target.removeEventListener(type, listener);
      resolve(detail);
    };
    signal.addEventListener("abort", () => {
      target.removeEventListener(type, listener);
      reject(new Error(`timed out waiting for ${type}`));
    });
    target.addEventListener(type, listener);
  });
}

/** Resolves once `ready()` holds, re-checking whenever one of `events` fires on `target`. */
export function waitUntil(
  target: EventTarget,
  events: readonly string[],
  ready: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const check = (): void => {
      if (!ready()) return;
      for (const type of events) target.removeEventListener(type, check);
      resolve();
    };
    signal.addEventListener("abort", () => {
      for (const type of events) target.removeEventListener(type, check);
      reject(new Error(`timed out waiting on ${events.join(", ")}`));
    });
    for (const type of events) target.addEventListener(type, check);
  });
}

/**
 * Runs `attempt` every `intervalMs` until it returns true; rejects (naming `what`) once
 * `timeoutMs` has passed. For conditions no event reports, such as dials an attacker retries.
 */
export async function eventually(
  attempt: () => boolean | Promise<boolean>,
  { timeoutMs = 15_000, intervalMs = 100, what = "a condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves once `node` is connected to `peerId` (now or on a later peer:connect). */
export function waitForConnection(node: Libp2p, peerId: PeerId): Promise<void> {
  return waitUntil(node, ["peer:connect"], () => node.getConnections(peerId).length > 0);
}

/** Resolves once a plain gossipsub node sees `peerId` subscribed to `topic`. */
export function waitForSubscriber(pubsub: GossipSub, topic: string, peerId: PeerId): Promise<void> {
  return waitUntil(pubsub, ["subscription-change"], () =>
    pubsub.getSubscribers(topic).some((p) => p.equals(peerId)),
  );
}

/**
 * The sum of a metric's samples whose labels include `labels` (0 when none). For a histogram pass
 * `sample: "<name>_count"` (or `_sum`) to pick the series.
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
  sample = name,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return (values as Array<(typeof values)[number] & { metricName?: string }>)
    .filter((v) => (v.metricName ?? name) === sample)
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
