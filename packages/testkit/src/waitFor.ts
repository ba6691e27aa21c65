/** Options of `waitFor`. */
export type WaitForOptions = {
  /** Give up after this long (default 120 s: e2e tests run on loaded CI machines). */
  timeoutMs?: number;
  /** Poll interval (default 200 ms). */
  intervalMs?: number;
  /** Describes the state on timeout (and on each poll when OPG_DEBUG_WAIT is set). */
  state?: () => string;
};

/**
 * Polls `check` until it holds. The timeout only turns a hang into a readable failure: tests never
 * assert on how long something took. Prefer `Until` where the code under test can notify.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 120_000, intervalMs = 200, state } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${state ? `; ${state()}` : ""}`);
    }
    if (state && process.env["OPG_DEBUG_WAIT"]) console.error(new Date().toISOString(), what, state());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

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
