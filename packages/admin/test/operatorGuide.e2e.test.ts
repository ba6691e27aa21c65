import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, HardhatNode } from "@opg/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const GUIDE = join(REPO, "docs", "operator.md");

/** The guide's runnable commands: every ```bash block, in order (```bash norun blocks are not run). */
export function guideScript(markdown: string): string {
  const blocks = [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error("no ```bash blocks in the guide");
  return ["set -euo pipefail", ...blocks].join("\n");
}

describe("docs/operator.md, run as written", () => {
  let chain: HardhatNode;
  let pid: number | undefined;

  beforeAll(async () => {
    chain = await HardhatNode.start(); // what `hardhat node` gives the guide: a fresh chain, automine
  });

  afterAll(() => {
    if (pid !== undefined) {
      try {
        process.kill(-pid, "SIGKILL"); // the guide's background daemons, if it stopped half-way
      } catch {
        // already gone
      }
    }
    chain?.stop();
  });

  it("default: the owner deploys, an executor and a verifier join, a request settles", {
    timeout: 900_000,
  }, async () => {
    const home = mkdtempSync(join(tmpdir(), "opg-guide-"));
    const env = {
      ...process.env,
      OPG_HOME: home,
      RPC_URL: chain.rpcUrl,
      EXEC_HTTP: String(await freePort()),
      EXEC_P2P: String(await freePort()),
      VERIFY_HTTP: String(await freePort()),
      VERIFY_P2P: String(await freePort()),
    };
    const child = spawn("bash", ["-c", guideScript(readFileSync(GUIDE, "utf8"))], {
      cwd: REPO,
      env,
      detached: true, // its own process group: afterAll can stop whatever it left running
      stdio: ["ignore", "pipe", "pipe"],
    });
    pid = child.pid;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const logs = () => {
      const read = (f: string) => {
        try {
          return readFileSync(join(home, f), "utf8").slice(-4000);
        } catch {
          return "";
        }
      };
      return `stdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}\nexec.log:\n${read("exec.log")}\nverify.log:\n${read("verify.log")}`;
    };
    expect(code, logs()).toBe(0);
    expect(stdout).toContain('"file": ');
    expect(stdout).toContain('"status": "settled"');
    expect(stdout).toContain('"verifiedOnChain": true');
    // Operator output carries no stack trace.
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
