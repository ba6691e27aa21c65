import { type Logger, PeriodicTask } from "@opg/daemon";
import { decodeResultMessage } from "@opg/protocol";
import type { ChainView, SignedExecution } from "../chain/ChainView.js";
import { unpackEvidence } from "../pipeline/ResultValidator.js";
import type { VerifierStore } from "../store/VerifierStore.js";
import { decodeVerifierEvidence } from "./BatchGossip.js";

export type ChallengerOptions = { intervalMs: number; maxAttempts: number };
export const defaultChallengerOptions: ChallengerOptions = { intervalMs: 2_000, maxAttempts: 5 };

/**
 * Submits kept equivocation evidence to the hub, which slashes the offender. Any verifier may
 * submit; the hub slashes once, so a revert because another verifier was first ends the case.
 */
export class Challenger {
  readonly name = "challenger";
  private readonly options: ChallengerOptions;
  private readonly attempts = new Map<string, number>();
  /** Submits every `intervalMs` once started, and at once when evidence is kept. */
  private readonly loop: PeriodicTask;

  constructor(
    options: Partial<ChallengerOptions>,
    private readonly deps: { store: VerifierStore; chain: ChainView; logger: Logger },
  ) {
    this.options = { ...defaultChallengerOptions, ...options };
    this.loop = new PeriodicTask(
      {
        name: this.name,
        intervalMs: this.options.intervalMs,
        errorMessage: "equivocation challenges failed",
      },
      (signal) => this.run(signal),
      { logger: deps.logger },
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Submits now unless a pass is running or the challenger stopped. */
  kick(): void {
    this.loop.trigger();
  }

  private async run(signal: AbortSignal): Promise<void> {
    for (const e of this.deps.store.pendingEquivocations()) {
      const id = `${e.kind}:${e.key}`;
      try {
        const tx =
          e.kind === "executor"
            ? await this.deps.chain.challengeExecutor(executorEvidence(e.evidence), signal)
            : await this.deps.chain.challengeVerifier(
                { verifier: e.offender, ...decodeVerifierEvidence(e.evidence) },
                signal,
              );
        this.deps.store.updateEquivocation(e.kind, e.key, "done", tx);
        this.deps.logger.warn(
          { kind: e.kind, offender: e.offender, tx },
          "equivocation proven on chain; offender slashed",
        );
      } catch (err) {
        const n = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, n);
        if (n >= this.options.maxAttempts) {
          this.deps.store.updateEquivocation(e.kind, e.key, "failed");
          this.deps.logger.warn(
            { err, kind: e.kind, offender: e.offender },
            "equivocation challenge given up",
          );
        } else {
          this.deps.logger.info(
            { err, kind: e.kind, attempt: n },
            "equivocation challenge failed; will retry",
          );
        }
      }
    }
  }
}

function executorEvidence(blob: Uint8Array) {
  const [a, b] = unpackEvidence(blob).map(decodeResultMessage) as [
    ReturnType<typeof decodeResultMessage>,
    ReturnType<typeof decodeResultMessage>,
  ];
  const signed = (m: typeof a): SignedExecution => ({
    requestId: m.requestId,
    modelId: m.modelId,
    inputHash: m.inputHash,
    outputHash: m.outputHash,
    mode: m.mode,
    signature: m.signature,
  });
  return { executor: a.executor, a: signed(a), b: signed(b) };
}
