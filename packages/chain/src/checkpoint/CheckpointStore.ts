/**
 * Where a watcher keeps the last block it fully processed, so a restart resumes after it.
 * `save` is called only after every log up to and including `block` was handled.
 */
export interface CheckpointStore {
  /** The last fully processed block, or `undefined` when nothing was processed yet. */
  load(): Promise<bigint | undefined>;
  /** Records `block` as fully processed. */
  save(block: bigint): Promise<void>;
}

/** A checkpoint kept in memory (tests, or watchers that may replay from their start block). */
export class MemoryCheckpointStore implements CheckpointStore {
  private block: bigint | undefined;

  constructor(initial?: bigint) {
    this.block = initial;
  }

  async load(): Promise<bigint | undefined> {
    return this.block;
  }

  async save(block: bigint): Promise<void> {
    this.block = block;
  }
}
