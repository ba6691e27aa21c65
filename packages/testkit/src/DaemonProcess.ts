import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI of a daemon package (`pnpm build` first). */
export function daemonCliPath(pkg: "exec-node" | "verify-node"): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", pkg, "dist", "cli.js");
}

/**
 * One daemon (`opg-exec` or `opg-verify`) in its own process, started with `start` and the given
 * flags, its output appended to `logFile`. `kill("SIGKILL")` is a crash; `stop()` a clean stop.
 */
export class DaemonProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> | undefined;

  constructor(
    readonly pkg: "exec-node" | "verify-node",
    readonly args: string[],
    readonly options: { logFile: string; env?: Record<string, string>; httpUrl: string },
  ) {}

  /** Spawns the daemon and waits until its `/ready` answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const out = openSync(this.options.logFile, "a");
    const child = spawn(process.execPath, [daemonCliPath(this.pkg), ...this.args], {
      stdio: ["ignore", out, out],
      env: { ...process.env, ...this.options.env },
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${this.pkg} exited with ${child.exitCode}; see ${this.options.logFile}`);
      try {
        const res = await fetch(new URL("/ready", this.options.httpUrl), {
          signal: AbortSignal.timeout(1_000),
        });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.pkg} not ready after ${timeoutMs} ms; see ${this.options.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a signal and waits for the process to end. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    return this.exit ?? null;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}
