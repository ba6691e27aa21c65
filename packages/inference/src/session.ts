import type { TensorMap } from "@opg/protocol";
import type * as ort from "onnxruntime-node";
import type { ModelIo } from "./modelIo.js";
import { ioFromSession } from "./modelIo.js";
import { fromOrtResults, toOrtFeeds } from "./ortTensor.js";

/** A loaded model as the engine uses it, wherever its onnxruntime session lives. */
export interface EngineSession {
  /** The execution provider the session runs on. */
  readonly provider: string;
  readonly io: ModelIo;
  run(inputs: TensorMap): Promise<TensorMap>;
  release(): Promise<void>;
}

/** A session on the caller's thread (onnxruntime-node runs it synchronously there). */
export class InProcessSession implements EngineSession {
  readonly io: ModelIo;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
  ) {
    this.io = ioFromSession(session);
  }

  async run(inputs: TensorMap): Promise<TensorMap> {
    return fromOrtResults(await this.session.run(toOrtFeeds(inputs)));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
