/**
 * The baseline of bench:verify (decode + the two signature recoveries of each message) on two
 * threads at once: how far the host itself scales this work from one core to two, measured in
 * the same run as the verifier's own two-core row. Each worker thread holds a copy of the
 * messages and checks the half of a turn's range it is given.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  decodeResultMessage,
  executionResultDigest,
  type OpgDomain,
  recoverDigestSigner,
} from "@opg/protocol";

/** Decode + the executor's and (direct requests) the requester's signature recovery. */
export function baselineOf(domain: OpgDomain, list: readonly { bytes: Uint8Array }[]): void {
  for (const m of list) {
    const d = decodeResultMessage(m.bytes);
    recoverDigestSigner(executionResultDigest(domain, d), d.signature);
    if (d.origin.type === "direct") recoverDigestSigner(d.requestId, d.origin.requesterSignature);
  }
}

type Job = { from: number; to: number };

export type BaselineThreads = {
  /** Runs the baseline over messages [from, to), split between the threads; resolves when both are done. */
  run(from: number, to: number): Promise<void>;
  stop(): Promise<void>;
};

/** Starts `threads` worker threads holding `messages` (warmed on the first `warm` of them). */
export async function startBaselineThreads(
  domain: OpgDomain,
  messages: readonly { bytes: Uint8Array }[],
  threads: number,
  warm: number,
): Promise<BaselineThreads> {
  const bytes = messages.map((m) => m.bytes);
  const workers = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), {
            execArgv: process.execArgv,
            workerData: { domain, bytes, warm },
          });
          w.once("message", () => resolve(w));
          w.once("error", reject);
        }),
    ),
  );
  const ask = (w: Worker, job: Job) =>
    new Promise<void>((resolve) => {
      w.once("message", () => resolve());
      w.postMessage(job);
    });
  return {
    async run(from, to) {
      const per = Math.ceil((to - from) / workers.length);
      await Promise.all(
        workers.map((w, i) => ask(w, { from: from + i * per, to: Math.min(to, from + (i + 1) * per) })),
      );
    },
    async stop() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const { domain, bytes, warm } = workerData as { domain: OpgDomain; bytes: Uint8Array[]; warm: number };
  const list = bytes.map((b) => ({ bytes: b }));
  baselineOf(domain, list.slice(0, warm));
  port.on("message", (job: Job) => {
    baselineOf(domain, list.slice(job.from, job.to));
    port.postMessage("done");
  });
  port.postMessage("ready");
}
