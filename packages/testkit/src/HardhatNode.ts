import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./freePort.js";

const require = createRequire(import.meta.url);

/** The contracts package folder (holds hardhat.config.ts). */
export const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "contracts");

export type HardhatNodeOptions = {
  port?: number;
  /** Mine a block every this many ms (automine off), as a real chain does; 0 keeps automine. */
  blockTimeMs?: number;
  /** Where the node's output goes (default: discarded). */
  logFile?: string | undefined;
  /** How long to wait for the RPC to answer. */
  startTimeoutMs?: number;
};

/**
 * A real `hardhat node` (EDR) in a child process on 127.0.0.1: an HTTP JSON-RPC chain that
 * daemons in other processes can share. `stop()` kills it (its state is lost).
 */
export class HardhatNode {
  readonly port: number;
  readonly rpcUrl: string;
  readonly chainId = 31337;
  private child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.rpcUrl = `http://127.0.0.1:${port}`;
  }

  static async start(options: HardhatNodeOptions = {}): Promise<HardhatNode> {
    const node = new HardhatNode(options.port ?? (await freePort()));
    await node.spawn(options);
    return node;
  }

  private async spawn(options: HardhatNodeOptions): Promise<void> {
    const cli = join(
      dirname(require.resolve("hardhat/package.json", { paths: [CONTRACTS_DIR] })),
      "dist",
      "src",
      "cli.js",
    );
    const { openSync } = await import("node:fs");
    const out = options.logFile ? openSync(options.logFile, "a") : "ignore";
    this.child = spawn(
      process.execPath,
      [cli, "node", "--hostname", "127.0.0.1", "--port", String(this.port)],
      {
        cwd: CONTRACTS_DIR,
        stdio: ["ignore", out, out],
        env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1" },
      },
    );
    const exited = new Promise<never>((_, reject) =>
      this.child?.once("exit", (code) => reject(new Error(`hardhat node exited early (code ${code})`))),
    );
    exited.catch(() => {});
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (await this.answers()) break;
      if (Date.now() > deadline) {
        this.stop();
        throw new Error(`hardhat node did not answer on ${this.rpcUrl}`);
      }
      await Promise.race([new Promise((r) => setTimeout(r, 200)), exited]);
    }
    if (options.blockTimeMs) {
      await this.rpc("evm_setAutomine", [false]);
      await this.rpc("evm_setIntervalMining", [options.blockTimeMs]);
    }
  }

  private async answers(): Promise<boolean> {
    try {
      await this.rpc("eth_chainId", []);
      return true;
    } catch {
      return false;
    }
  }

  /** One raw JSON-RPC call. */
  async rpc(method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }

  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }
}
