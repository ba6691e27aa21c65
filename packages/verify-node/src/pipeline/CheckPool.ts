import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { OpgDomain } from "@opg/protocol";
import {
  type Checked,
  READY,
  readRecord,
  runChecks,
  WORKER_ROLE,
  type WorkerJob,
  type WorkerReply,
} from "./resultChecks.js";

function workerUrl(): URL {
  const ts = new URL("./resultChecks.ts", import.meta.url);
  // From sources (tests, tsx) run the .ts worker with Node's type stripping; from dist/ the .js.
  return import.meta.url.endsWith(".ts") && existsSync(fileURLToPath(ts))
    ? ts
    : new URL("./resultChecks.js", import.meta.url);
}

/**
 * The parent's execArgv without the "@opg/source" export condition: the worker imports
 * @opg/protocol's built dist (Node's type stripping cannot run the sources' `.js` imports).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === "--conditions" || a === "-C") && args[i + 1] === "@opg/source") {
      i++;
      continue;
    }
    if (a === "--conditions=@opg/source" || a === "-C=@opg/source") continue;
    out.push(a);
  }
  return out;
}

export type CheckPoolOptions = {
  /** Worker threads running the stateless checks; 0 runs them inline on the caller's thread. */
  workers: number;
  /** Messages sent to a worker in one batch (amortises the message passing). */
  maxBatch: number;
  /**
   * The event loop checks too: each worker holds at most `depth` batches in flight (one being
   * checked, the others queued behind it, so it never waits for the event loop) and the event loop
   * checks the rest itself, `inlineChunk` at a time between two turns (so worker replies and gossip
   * are not held up). With `cores − 1` workers this keeps every core busy without a third thread
   * competing for two cores.
   */
  shareEventLoop: boolean;
  /** Messages the event loop checks in one go when it shares the work. */
  inlineChunk: number;
  /** Batches a worker holds in flight when the event loop shares the work. */
  depth: number;
};

export const defaultCheckPoolOptions: CheckPoolOptions = {
  workers: 0,
  maxBatch: 32,
  shareEventLoop: false,
  inlineChunk: 4,
  depth: 2,
};

/**
 * The daemon's check pool for a `checkWorkers` setting on `cores` cores. Unset: one worker per
 * core but one, the event loop checking what they have no room for (on one core: all inline);
 * set: that many workers, the event loop keeping only the stateful steps (0: all inline).
 */
export function checkPoolOptions(configured: number | undefined, cores: number): Partial<CheckPoolOptions> {
  if (configured !== undefined) return { workers: configured };
  return cores <= 1 ? { workers: 0 } : { workers: cores - 1, shareEventLoop: true, maxBatch: 8, depth: 4 };
}

type Item = { bytes: Uint8Array; resolve: (c: Checked) => void; reject: (e: unknown) => void };
type Slot = { worker: Worker; ready: boolean; inFlight: Map<number, Item[]>; items: number; cpu: number };

/**
 * Runs the stateless, CPU-bound checks of gossiped results (`runChecks`: decode, digests, both
 * signature recoveries, outputs hash) on a pool of worker threads, so the verifier's throughput
 * grows with cores while the event loop keeps the stateful steps (and, with `shareEventLoop`,
 * checks what the workers have no room for). Messages checked in the same
 * turn are batched: one transferred buffer out, one flat array of plain values back. Until a
 * worker is ready (start-up, or after one died) the checks run inline, with the same results.
 * A worker that dies fails its in-flight messages (the validator drops them as INTERNAL, blameless;
 * their executors republish) and is replaced.
 */
export class CheckPool {
  private readonly options: CheckPoolOptions;
  private readonly slots: Slot[] = [];
  private queue: Item[] = [];
  private nextSeq = 0;
  private flushScheduled = false;
  private stopped = false;
  private readonly waiters: (() => void)[] = [];
  /** Messages the workers checked and their CPU time doing so, µs (profiling, benches). */
  readonly workerStats = { messages: 0, cpuMicros: 0 };
  /** Messages checked on the caller's thread (no worker ready, or sharing the work). */
  inlineChecks = 0;
  /** Workers that died and were replaced (tests, logs). */
  restarts = 0;
  private recentDeaths: number[] = [];

  constructor(
    options: Partial<CheckPoolOptions>,
    private readonly deps: {
      domain: OpgDomain;
      /** Told when a worker fails or exits unexpectedly (it is replaced). */
      onWorkerError?: ((err: unknown) => void) | undefined;
    },
  ) {
    this.options = { ...defaultCheckPoolOptions, ...options };
    const { workers, maxBatch, inlineChunk, depth } = this.options;
    if (!Number.isInteger(workers) || workers < 0)
      throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
    for (const [name, value] of Object.entries({ maxBatch, inlineChunk, depth })) {
      // Zero would never drain the queue (a flush that moves nothing, again and again).
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    for (let i = 0; i < this.options.workers; i++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(workerUrl(), {
      execArgv: workerExecArgv(),
      workerData: { role: WORKER_ROLE, domain: this.deps.domain },
    });
    worker.unref();
    const slot: Slot = { worker, ready: false, inFlight: new Map(), items: 0, cpu: 0 };
    worker.on("message", (reply: WorkerReply) => {
      if (reply.seq === READY) {
        slot.ready = true;
        slot.cpu = reply.cpu;
        for (const w of this.waiters.splice(0)) w();
        return;
      }
      const items = slot.inFlight.get(reply.seq);
      if (items === undefined) return;
      slot.inFlight.delete(reply.seq);
      slot.items -= items.length;
      this.workerStats.messages += items.length;
      this.workerStats.cpuMicros += reply.cpu - slot.cpu;
      slot.cpu = reply.cpu;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        try {
          item.resolve(readRecord(reply.out, i, item.bytes));
        } catch (err) {
          item.reject(err);
        }
      }
    });
    worker.on("error", (err) => this.deps.onWorkerError?.(err));
    worker.on("exit", (code) => this.onExit(slot, code));
    this.slots.push(slot);
  }

  private onExit(slot: Slot, code: number): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    const err = new Error(`A result-check worker exited (code ${code}).`);
    for (const items of slot.inFlight.values()) for (const item of items) item.reject(err);
    slot.inFlight.clear();
    if (this.stopped) return;
    this.deps.onWorkerError?.(err);
    this.restarts += 1;
    // A worker that keeps dying is replaced at most about once a second (meanwhile: inline).
    const now = Date.now();
    this.recentDeaths = [...this.recentDeaths.filter((t) => now - t < 10_000), now];
    const delay = this.recentDeaths.length > 3 ? 1_000 : 0;
    setTimeout(() => {
      if (!this.stopped) this.spawn();
    }, delay).unref();
  }

  /** Resolves once every worker is ready (tests and benches; callers need not wait). */
  async whenReady(): Promise<void> {
    while (this.readyWorkers < this.options.workers && !this.stopped) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Workers now taking checks (0: they run inline). */
  get readyWorkers(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready) n++;
    return n;
  }

  get size(): number {
    return this.options.workers;
  }

  /** The worker threads (tests: to kill one). */
  get threads(): readonly Worker[] {
    return this.slots.map((s) => s.worker);
  }

  /** Runs the stateless checks on `bytes`, on a worker when one is ready. */
  check(bytes: Uint8Array): Promise<Checked> {
    if (this.stopped || this.readyWorkers === 0) {
      this.inlineChecks += 1;
      return new Promise((resolve) => resolve(runChecks(this.deps.domain, bytes)));
    }
    return new Promise<Checked>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const ready = this.slots.filter((s) => s.ready);
    if (ready.length === 0) {
      // Every worker died since these were queued: check them here.
      this.runInline(this.queue.splice(0));
      return;
    }
    const { maxBatch, shareEventLoop, inlineChunk, depth } = this.options;
    if (!shareEventLoop) {
      // Spread the turn's messages over the workers, least loaded first.
      const per = Math.min(maxBatch, Math.ceil(this.queue.length / ready.length));
      while (this.queue.length > 0) this.send(leastLoaded(ready), this.queue.splice(0, per));
      return;
    }
    // Top every worker up to `depth` batches in flight, least loaded first; check a chunk of the rest
    // here and come back after the next turn (replies may have freed a worker by then).
    while (this.queue.length > 0) {
      const slot = leastLoaded(ready);
      const room = Math.min(maxBatch, depth * maxBatch - slot.items);
      if (room <= 0) break;
      this.send(slot, this.queue.splice(0, room));
    }
    if (this.queue.length === 0) return;
    this.runInline(this.queue.splice(0, inlineChunk));
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private runInline(items: Item[]): void {
    this.inlineChecks += items.length;
    for (const item of items) {
      try {
        item.resolve(runChecks(this.deps.domain, item.bytes));
      } catch (e) {
        item.reject(e);
      }
    }
  }

  private send(slot: Slot, items: Item[]): void {
    let total = 0;
    const lens = items.map((i) => {
      total += i.bytes.byteLength;
      return i.bytes.byteLength;
    });
    const buf = new Uint8Array(total);
    let at = 0;
    for (const i of items) {
      buf.set(i.bytes, at);
      at += i.bytes.byteLength;
    }
    const seq = this.nextSeq++;
    slot.inFlight.set(seq, items);
    slot.items += items.length;
    slot.worker.postMessage({ seq, buf, lens } satisfies WorkerJob, [buf.buffer]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const err = new Error("The result-check pool stopped.");
    for (const item of this.queue.splice(0)) item.reject(err);
    for (const s of this.slots) {
      for (const items of s.inFlight.values()) for (const item of items) item.reject(err);
      s.inFlight.clear();
    }
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

function leastLoaded(slots: Slot[]): Slot {
  let slot = slots[0]!;
  for (const s of slots) if (s.items < slot.items) slot = s;
  return slot;
}
