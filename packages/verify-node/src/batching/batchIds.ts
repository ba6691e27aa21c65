/**
 * Batch ids (docs/protocol.md, "Batch ids and rounds"): the low 40 bits are the batch's sequence
 * number, which the hub takes strictly consecutively (`sequence(id) == sequence(last) + 1`), and
 * the high 24 bits the agreement round at that sequence. Each round has one leader and a fresh
 * id, so a verifier that signed a root in a round that stalled signs the next round's root
 * without signing two roots for one id (which would be slashable equivocation).
 */
export const SEQUENCE_BITS = 40n;
const SEQUENCE_MASK = (1n << SEQUENCE_BITS) - 1n;
/**
 * Largest round a verifier uses: 2^23 - 1 keeps every id below 2^63 (SQLite integers); at a
 * 10 s leader timeout that is ~2.6 years of rounds for one sequence number.
 */
export const MAX_ROUND = (1 << 23) - 1;

/** The sequence number of a batch id. */
export function batchSequence(batchId: bigint): bigint {
  return batchId & SEQUENCE_MASK;
}

/** The round of a batch id. */
export function batchRound(batchId: bigint): number {
  return Number(batchId >> SEQUENCE_BITS);
}

/** The id of round `round` at sequence number `sequence`. */
export function batchIdOf(sequence: bigint, round: number): bigint {
  return (BigInt(round) << SEQUENCE_BITS) | sequence;
}

/** The verifier that leads round `round` at `sequence` (its index in the ordered set). */
export function roundLeader(sequence: bigint, round: number, setSize: number): number {
  return Number((sequence + BigInt(round)) % BigInt(setSize));
}
