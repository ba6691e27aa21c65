// Worker thread of WorkerSession: owns one onnxruntime session and runs it off the caller's event
// loop (onnxruntime-node's `run` is synchronous on the calling thread). Self-contained on purpose
// (imports only node: and onnxruntime-node) so Node runs it straight from the TypeScript source
// (type stripping) as well as from dist/.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";

/** A tensor as it crosses the thread boundary: onnxruntime's type name, dims, data. */
export type WireTensor = { type: string; dims: readonly number[]; data: ArrayBufferView };

export type WireMetadata = {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
};

export type WorkerRequest =
  | {
      type: "load";
      model: Uint8Array;
      /** Providers in order of preference, each with its session options. */
      attempts: { provider: string; options: ort.InferenceSession.SessionOptions }[];
    }
  | { type: "run"; id: number; inputs: Record<string, WireTensor> }
  | { type: "release" };

export type WorkerReply =
  | {
      type: "loaded";
      provider: string;
      failures: { provider: string; message: string }[];
      inputMetadata: WireMetadata[];
      outputMetadata: WireMetadata[];
    }
  | { type: "load-failed"; failures: { provider: string; message: string }[] }
  | { type: "result"; id: number; outputs: Record<string, WireTensor> }
  | { type: "run-failed"; id: number; message: string; unsupported?: boolean }
  | { type: "released" };

let session: ort.InferenceSession | undefined;

function toOrt(t: WireTensor): ort.Tensor {
  if (t.type === "float16") {
    // onnxruntime-common wraps Uint16Array float16 data in a Float16Array (Node 24), which the
    // native binding cannot read: pass the bits as uint16 re-labelled float16.
    const bits = new ort.Tensor("uint16", t.data as Uint16Array, t.dims);
    Object.defineProperty(bits, "type", { value: "float16" });
    return bits;
  }
  return new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims);
}

/** An output's data as a view over a buffer of its own (so it can be transferred, not copied). */
function owned(data: ArrayBufferView): ArrayBufferView {
  const view = data as ArrayBufferView & { slice(): ArrayBufferView };
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole && !(data.buffer instanceof SharedArrayBuffer) ? data : view.slice();
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): WireMetadata[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
      : { name: m.name, isTensor: false },
  );
}

async function load(request: Extract<WorkerRequest, { type: "load" }>): Promise<WorkerReply> {
  const failures: { provider: string; message: string }[] = [];
  for (const { provider, options } of request.attempts) {
    try {
      session = await ort.InferenceSession.create(request.model, options);
      return {
        type: "loaded",
        provider,
        failures,
        inputMetadata: metadata(session.inputMetadata),
        outputMetadata: metadata(session.outputMetadata),
      };
    } catch (error) {
      failures.push({ provider, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { type: "load-failed", failures };
}

async function run(
  request: Extract<WorkerRequest, { type: "run" }>,
): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  if (!session) return { reply: { type: "run-failed", id: request.id, message: "no session" }, transfer: [] };
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(request.inputs)) feeds[name] = toOrt(tensor);
  const results = await session.run(feeds);
  const outputs: Record<string, WireTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, value] of Object.entries(results)) {
    if (!(value instanceof ort.Tensor) || value.type === "string") {
      const message = `Output "${name}" is not a numeric tensor`;
      return { reply: { type: "run-failed", id: request.id, message, unsupported: true }, transfer: [] };
    }
    const data = owned(value.data as ArrayBufferView);
    outputs[name] = { type: value.type, dims: value.dims.map(Number), data };
    transfer.push(data.buffer as ArrayBuffer);
  }
  return { reply: { type: "result", id: request.id, outputs }, transfer };
}

const port = parentPort;
if (!port) throw new Error("sessionWorker must run in a worker thread");
// Messages are handled one at a time, in order: a run queued behind another starts the moment
// the previous one ends, without a round trip to the caller's (possibly busy) event loop.
let chain: Promise<void> = Promise.resolve();
port.on("message", (request: WorkerRequest) => {
  chain = chain.then(async () => {
    switch (request.type) {
      case "load":
        port.postMessage(await load(request));
        return;
      case "run":
        try {
          const { reply, transfer } = await run(request);
          port.postMessage(reply, transfer);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          port.postMessage({ type: "run-failed", id: request.id, message } satisfies WorkerReply);
        }
        return;
      case "release":
        await session?.release();
        session = undefined;
        port.postMessage({ type: "released" } satisfies WorkerReply);
        port.close();
        return;
    }
  });
});
