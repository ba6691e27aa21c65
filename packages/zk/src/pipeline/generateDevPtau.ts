import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import * as snarkjs from "snarkjs";

/**
 * A development powers-of-tau for BN254 (NOT a secure ceremony: one local contribution whose
 * randomness lives only in this process): newAccumulator(2^power) → contribute(random entropy)
 * → preparePhase2. Supports circuits up to 2^power constraints (domain size). Operators use a
 * real ceremony file instead (e.g. a Hermez/Perpetual Powers of Tau `.ptau`).
 */
export async function generateDevPtau(power: number, outPath: string): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > 28)
    throw new RangeError(`power must be in [1, 28]; got ${power}`);
  await mkdir(dirname(outPath), { recursive: true });
  const tmp0 = `${outPath}.${process.pid}.0.tmp`;
  const tmp1 = `${outPath}.${process.pid}.1.tmp`;
  const tmp2 = `${outPath}.${process.pid}.2.tmp`;
  try {
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, power, tmp0);
    await snarkjs.powersOfTau.contribute(
      tmp0,
      tmp1,
      "opg development contribution",
      randomBytes(32).toString("hex"),
    );
    await snarkjs.powersOfTau.preparePhase2(tmp1, tmp2);
    await rename(tmp2, outPath);
  } finally {
    await Promise.all([rm(tmp0, { force: true }), rm(tmp1, { force: true }), rm(tmp2, { force: true })]);
  }
}
