import type { ProofMode, ResultMessage } from "@opg/protocol";
import { ValidationError } from "@opg/protocol";

/**
 * Checks the proof of a result for one mode. Throws a ValidationError (REJECT for a wrong proof,
 * IGNORE when it cannot decide yet), synchronously or as a rejection; returns (or resolves) when
 * the proof holds. A verifier that can decide without waiting returns nothing (no promise on the
 * validator's hot path). `zk` and `tee` plug in here.
 */
export interface ProofVerifier {
  readonly mode: ProofMode;
  verify(message: ResultMessage): void | Promise<void>;
}

/** Mode NONE: no proof at all; any proof bytes are refused so nothing unchecked looks proven. */
export class NoneProofVerifier implements ProofVerifier {
  readonly mode = 0 as const;

  verify(message: ResultMessage): void {
    if (message.proof.length !== 0) {
      throw new ValidationError("REJECT", "BAD_PROOF", "A NONE-mode result carries no proof.");
    }
  }
}
