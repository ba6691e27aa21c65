import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { recoverDigestSigner, SignatureError } from "@opg/protocol";
import type { Address, Hex } from "viem";

function workerUrl(): URL {
  const ts = new URL("./recoverWorker.ts", import.meta.url);
  // From sources (tests, tsx) run the .ts worker with Node's type stripping; from dist/ the .js.
  return import.meta.url.endsWith(".ts") && existsSync(fileURLToPath(ts))
    ? ts
    : new URL("./recoverWorker.js", import.meta.url);
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

type Pending = { resolve: (a: Address) => void; reject: (e: unknown) => void };
type Reply = { id: number; signer?: string; code?: string; message?: string };

export type SignaturePoolOptions = {
  /** Worker threads recovering signatures; 0 recovers inline on the caller's thread. */
  workers: number;
  /** Recoveries sent to a worker in one message (amortises the message passing). */
  maxBatch: number;
};

export const defaultSignaturePoolOptions: SignaturePoolOptions = { workers: 0, maxBatch: 64 };

/**
 * Recovers EIP-712 digest signers (`recoverDigestSigner`) on a pool of worker threads, so the
 * verifier's throughput grows with cores: the event loop decodes, hashes and stores while the
 * workers do the elliptic-curve work. Requests made in the same tick are batched per worker.
 * Failures are `SignatureError`s with the same codes as the inline function.
 */
export class SignaturePool {
  private readonly options: SignaturePoolOptions;
  private readonly workers: Worker[] = [];
  /** Workers that said they are ready: until one has, recoveries run inline (no start-up stall). */
  private readonly ready: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private queue: { id: number; digest: Hex; signature: Hex }[] = [];
  private nextId = 0;
  private nextWorker = 0;
  private flushScheduled = false;

  constructor(options: Partial<SignaturePoolOptions> = {}) {
    this.options = { ...defaultSignaturePoolOptions, ...options };
    for (let i = 0; i < this.options.workers; i++) {
      const worker = new Worker(workerUrl(), { execArgv: workerExecArgv() });
      worker.unref();
      worker.on("message", (replies: Reply[] | "ready") => {
        if (replies === "ready") this.ready.push(worker);
        else this.onReplies(replies);
      });
      worker.on("error", (err) => this.failAll(err));
      this.workers.push(worker);
    }
  }

  /** Resolves once every worker is ready (tests and benches; callers need not wait). */
  async whenReady(): Promise<void> {
    while (this.ready.length < this.workers.length) {
      await new Promise<void>((resolve) => {
        const onReady = (m: unknown) => {
          if (m !== "ready") return;
          for (const w of this.workers) w.off("message", onReady);
          setImmediate(resolve);
        };
        for (const w of this.workers) w.on("message", onReady);
      });
    }
  }

  /** Recoveries currently done by workers (0 while none is ready: inline). */
  get readyWorkers(): number {
    return this.ready.length;
  }

  get size(): number {
    return this.workers.length;
  }

  recover(digest: Hex, signature: Hex): Promise<Address> {
    if (this.ready.length === 0) {
      try {
        return Promise.resolve(recoverDigestSigner(digest, signature));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const id = this.nextId++;
    return new Promise<Address>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, digest, signature });
      if (this.queue.length >= this.options.maxBatch * this.ready.length) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      const worker = this.ready[this.nextWorker++ % this.ready.length]!;
      worker.postMessage(batch);
    }
  }

  private onReplies(replies: Reply[]): void {
    for (const r of replies) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue;
      this.pending.delete(r.id);
      if (r.signer !== undefined) p.resolve(r.signer as Address);
      else p.reject(new SignatureError((r.code ?? "UNRECOVERABLE") as never, r.message ?? "recovery failed"));
    }
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async stop(): Promise<void> {
    this.failAll(new Error("The signature pool stopped."));
    this.ready.length = 0;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}
