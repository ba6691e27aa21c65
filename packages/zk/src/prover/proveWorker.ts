// Worker thread of ZkProver: witness generation + Groth16 proving, off the caller's event loop.
// Self-contained on purpose (imports only node: and snarkjs) so Node can run it straight from
// the TypeScript source (type stripping) as well as from dist/.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import workerThreads from "node:worker_threads";
import type * as Snarkjs from "snarkjs";
import type { SnarkjsGroth16Proof } from "../proof/snarkjsTypes.js";

// ffjavascript (under snarkjs) starts its own threads through the `web-worker` package, which
// decides at load time whether it runs in *its* worker by reading `isMainThread`. Inside this
// worker that check would wrongly take the worker branch and crash, so load snarkjs while the
// flag reads true (only web-worker's module evaluation sees it), then restore it.
const threadsExports = workerThreads as { isMainThread: boolean };
threadsExports.isMainThread = true;
const snarkjs: typeof Snarkjs = await import("snarkjs");
threadsExports.isMainThread = false;
const { parentPort } = workerThreads;

type WitnessCalculator = {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: number): Promise<Uint8Array>;
};
type Circuit = { wc: WitnessCalculator; zkey: Uint8Array };

export type ProveJob = {
  type: "prove";
  id: number;
  key: string;
  wasmPath: string;
  zkeyPath: string;
  witnessCalculatorPath: string;
  input: Record<string, string[]>;
};
/** Load a circuit and the curve ahead of the first proof. */
export type LoadJob = Omit<ProveJob, "type" | "input"> & { type: "load" };
export type ProveReply =
  | {
      type: "result";
      id: number;
      proof: SnarkjsGroth16Proof;
      publicSignals: string[];
      witnessMs: number;
      proveMs: number;
    }
  | { type: "loaded"; id: number }
  | { type: "error"; id: number; message: string };

const MAX_CIRCUITS = 8;
const requireCjs = createRequire(import.meta.url);
const circuits = new Map<string, Promise<Circuit>>();

async function loadCircuit(job: ProveJob | LoadJob): Promise<Circuit> {
  const builder = requireCjs(job.witnessCalculatorPath) as (
    code: Uint8Array,
    options: object,
  ) => Promise<WitnessCalculator>;
  const [wasm, zkey] = await Promise.all([readFile(job.wasmPath), readFile(job.zkeyPath)]);
  return { wc: await builder(new Uint8Array(wasm), {}), zkey: new Uint8Array(zkey) };
}

function circuit(job: ProveJob | LoadJob): Promise<Circuit> {
  let c = circuits.get(job.key);
  if (!c) {
    if (circuits.size >= MAX_CIRCUITS) circuits.delete(circuits.keys().next().value as string);
    c = loadCircuit(job);
    c.catch(() => circuits.delete(job.key));
    circuits.set(job.key, c);
  }
  return c;
}

async function prove(job: ProveJob): Promise<ProveReply> {
  try {
    const c = await circuit(job);
    const t0 = performance.now();
    const wtns = await c.wc.calculateWTNSBin(job.input, 0);
    const t1 = performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(
      { type: "mem", data: c.zkey },
      { type: "mem", data: wtns },
    );
    const t2 = performance.now();
    return { type: "result", id: job.id, proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
  } catch (e) {
    return { type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) };
  }
}

async function load(job: LoadJob): Promise<ProveReply> {
  try {
    await circuit(job);
    await snarkjs.curves.getCurveFromName("bn128"); // ffjavascript's engine and threads
    return { type: "loaded", id: job.id };
  } catch (e) {
    return { type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) };
  }
}

const port = parentPort;
if (port) {
  port.on("message", (msg: ProveJob | LoadJob | { type: "close" }) => {
    if (msg.type === "prove") {
      void prove(msg).then((reply) => port.postMessage(reply));
    } else if (msg.type === "load") {
      void load(msg).then((reply) => port.postMessage(reply));
    } else if (msg.type === "close") {
      // Stop ffjavascript's own worker threads, then let this thread end.
      const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
      void (curve ? curve.terminate() : Promise.resolve()).finally(() => port.close());
    }
  });
}
