/** An engine-wide bound on queued (accepted, not yet running) requests, shared by all models. */
export class QueueBudget {
  private used = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 0)
      throw new RangeError(`queue bound must be a non-negative integer, got ${max}`);
  }

  get size(): number {
    return this.used;
  }

  get full(): boolean {
    return this.used >= this.max;
  }

  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  release(): void {
    if (this.used > 0) this.used--;
  }
}
