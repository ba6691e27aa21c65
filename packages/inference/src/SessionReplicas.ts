import type { TensorMap } from "@opg/protocol";
import type { ModelIo } from "./modelIo.js";
import type { EngineSession } from "./session.js";

/**
 * One model served by several sessions (each its own worker thread), a run going to the one with
 * the fewest runs in flight. onnxruntime's intra-op threads meet at a barrier after every operator,
 * so one thread preempted by the daemon's event loop stalls the whole run; sessions with one
 * intra-op thread each run different requests side by side and never wait for one another.
 */
export class SessionReplicas implements EngineSession {
  private readonly inFlight: number[];

  constructor(private readonly sessions: readonly EngineSession[]) {
    if (sessions.length === 0) throw new RangeError("SessionReplicas needs at least one session");
    this.inFlight = sessions.map(() => 0);
  }

  get provider(): string {
    return this.sessions[0]!.provider;
  }

  get io(): ModelIo {
    return this.sessions[0]!.io;
  }

  /** Sessions serving the model. */
  get size(): number {
    return this.sessions.length;
  }

  async run(inputs: TensorMap): Promise<TensorMap> {
    let at = 0;
    for (let i = 1; i < this.inFlight.length; i++) if (this.inFlight[i]! < this.inFlight[at]!) at = i;
    this.inFlight[at] = this.inFlight[at]! + 1;
    try {
      return await this.sessions[at]!.run(inputs);
    } finally {
      this.inFlight[at] = this.inFlight[at]! - 1;
    }
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}
