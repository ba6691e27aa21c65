import type { InferenceRequestedEvent } from "@opg/chain";
import type { Logger } from "@opg/daemon";
import { decodeTensors, hashEncodedTensors, OpgError, TensorError } from "@opg/protocol";
import { hexToBytes } from "viem";
import type { ExecutorCore } from "../execution/ExecutorCore.js";
import type { ModelGate } from "./ModelGate.js";

export type OnchainIntakeOptions = { maxInputBytes: number; fetchTimeoutMs: number };

/**
 * Serves `InferenceRequested` events: inputs inline or fetched from the request's URI (http(s)
 * or data:, size-capped), checked against the committed `inputHash`, then executed. A request
 * this node cannot serve (model or listing not served here, inputs that cannot be fetched within
 * `fetchTimeoutMs`, inputs that do not match their hash or do not decode, a non-retryable execution
 * error) is skipped with a log line: a requester's server never holds up the watcher. A transient
 * failure of ours (busy, RPC) is thrown so the watcher retries it and its checkpoint waits.
 */
export class OnchainIntake {
  constructor(
    private readonly options: OnchainIntakeOptions,
    private readonly deps: {
      core: ExecutorCore;
      gate: ModelGate;
      logger: Logger;
      /** Called once a request's result is signed and stored (the executor then delivers it). */
      onExecuted?: (e: InferenceRequestedEvent) => void;
    },
  ) {}

  onRequest = async (e: InferenceRequestedEvent, signal: AbortSignal): Promise<void> => {
    const log = this.deps.logger.child({ requestId: e.requestId, modelId: e.modelId });
    const refusal = await this.deps.gate.check(e.modelId, e.request.mode, e.request.listingId);
    if (refusal) {
      log.debug({ reason: refusal }, "on-chain request not served here");
      return;
    }
    let encoded: Uint8Array;
    try {
      encoded = e.input !== "0x" ? hexToBytes(e.input) : await this.fetchInput(e.inputURI, signal);
    } catch (err) {
      log.warn({ err, inputURI: e.inputURI }, "on-chain request skipped: inputs unavailable");
      return;
    }
    if (hashEncodedTensors(encoded) !== e.request.inputHash) {
      log.warn({}, "on-chain request skipped: inputs do not match the committed inputHash");
      return;
    }
    let inputs: ReturnType<typeof decodeTensors>;
    try {
      inputs = decodeTensors(encoded);
    } catch (err) {
      if (err instanceof TensorError) {
        log.warn({ code: err.code }, "on-chain request skipped: inputs are not a canonical tensor encoding");
        return;
      }
      throw err;
    }
    try {
      const out = await this.deps.core.execute(
        {
          requestId: e.requestId,
          modelId: e.modelId,
          inputHash: e.request.inputHash,
          mode: e.request.mode,
          inputs,
          deadline: e.request.deadline,
          origin: { type: "onchain" },
        },
        signal,
      );
      log.info({ outputHash: out.message.outputHash }, "on-chain request executed");
      this.deps.onExecuted?.(e);
    } catch (err) {
      if (err instanceof OpgError && !err.retryable) {
        log.warn({ err }, "on-chain request failed; not retried");
        return;
      }
      throw err;
    }
  };

  private async fetchInput(uri: string, signal: AbortSignal): Promise<Uint8Array> {
    if (uri.startsWith("data:")) {
      const comma = uri.indexOf(",");
      if (comma < 0 || !uri.slice(0, comma).endsWith(";base64")) {
        throw new OpgError("BAD_INPUT_URI", "Only base64 data: URIs are supported.");
      }
      const bytes = Buffer.from(uri.slice(comma + 1), "base64");
      if (bytes.length > this.options.maxInputBytes)
        throw new OpgError("INPUT_TOO_LARGE", "Inputs too large.");
      return bytes;
    }
    if (!/^https?:\/\//.test(uri))
      throw new OpgError("BAD_INPUT_URI", `Unsupported input URI scheme: ${uri.slice(0, 16)}`);
    const res = await fetch(uri, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.fetchTimeoutMs)]),
    });
    if (!res.ok || !res.body)
      throw new OpgError("INPUT_FETCH_FAILED", `Fetching the inputs answered ${res.status}.`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > this.options.maxInputBytes) throw new OpgError("INPUT_TOO_LARGE", "Inputs too large.");
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}
