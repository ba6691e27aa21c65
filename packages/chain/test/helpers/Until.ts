/**
 * Event-driven waiting: code under test calls `notify()` from its callbacks (metrics hooks,
 * handlers) and the test awaits `until(predicate)`. No sleeps; the timeout only turns a hang into
 * a readable failure.
 */
export class Until {
  private readonly waiters = new Set<{ predicate: () => boolean; resolve: () => void }>();

  readonly notify = (): void => {
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  until(predicate: () => boolean, what = "condition", timeoutMs = 20_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
    });
  }
}
