import * as snarkjs from "snarkjs";

/**
 * snarkjs' `zkey new` (phase 2's start from the circuit and phase 1), failing loudly: snarkjs
 * reports a circuit too big for the phase 1, a curve mismatch or an unprepared phase 1 by logging
 * and returning -1 (after writing the zkey's first bytes), not by throwing. Throws an Error with
 * snarkjs' own message instead.
 */
export async function startPhase2(r1csPath: string, ptauPath: string, zkey: snarkjs.FastFile): Promise<void> {
  const errors: string[] = [];
  const logger: snarkjs.Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (m) => errors.push(String(m)),
  };
  const started = await snarkjs.zKey.newZKey(r1csPath, ptauPath, zkey, logger);
  if (started === -1 || errors.length > 0) {
    throw new Error(
      `${errors.join("; ") || "snarkjs refused the circuit and the phase 1"} (phase 1: ${ptauPath})`,
    );
  }
}
