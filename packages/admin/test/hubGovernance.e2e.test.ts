import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createChainClient, InferenceHubActions } from "@opg/chain";
import { devPrivateKey, HardhatNode } from "@opg/testkit";
import { getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");

describe("opg-admin fee-split, pause, unpause: the network owner's commands against a real chain", {
  timeout: 300_000,
}, () => {
  let chain: HardhatNode;
  let dir: string;
  let hub: InferenceHubActions;
  const ownerKey = devPrivateKey(0);
  const owner = getAddress(privateKeyToAccount(ownerKey).address);

  /** Runs opg-admin with `key` (default: the owner's); returns its exit code, stdout JSON (when 0) and stderr. */
  function admin(args: readonly string[], key: Hex = ownerKey) {
    const keyFile = join(dir, `${key.slice(2, 10)}.key`);
    writeFileSync(keyFile, key, { mode: 0o600 });
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        "--rpc-url",
        chain.rpcUrl,
        "--key-file",
        keyFile,
        "--deployments",
        join(dir, "deployments"),
        ...args,
      ],
      { encoding: "utf8", env: { ...process.env, OPG_LOG_LEVEL: "info" }, timeout: 120_000 },
    );
    return {
      code: run.status,
      json: run.status === 0 ? (JSON.parse(run.stdout) as Record<string, unknown>) : undefined,
      stderr: run.stderr,
    };
  }

  beforeAll(async () => {
    chain = await HardhatNode.start();
    dir = mkdtempSync(join(tmpdir(), "opg-admin-gov-"));
    const deployed = admin(["deploy"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    hub = new InferenceHubActions(deployed.json!["inferenceHub"] as Hex, {
      client: createChainClient({ rpcUrl: chain.rpcUrl, chainId: chain.chainId }),
    });
  }, 300_000);

  afterAll(() => chain?.stop());

  it("default: fee-split shows the 10 % share, its 50 % bound, the pause state and the owner", () => {
    const shown = admin(["fee-split"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json).toEqual({
      verifierFeeBps: 1000,
      verifierShare: "10 %",
      executorShare: "90 %",
      maxVerifierFeeBps: 5000,
      paused: false,
      owner,
    });
  });

  it("behavior: fee-split <bps> sets the share on chain; out-of-range values are refused before any transaction", async () => {
    const set = admin(["fee-split", "2500"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json).toMatchObject({ verifierFeeBps: 2500, verifierShare: "25 %", executorShare: "75 %" });
    expect(set.json!["tx"]).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await hub.governance()).verifierFeeBps).toBe(2500);

    for (const bad of ["5001", "12.5", "ten"]) {
      const refused = admin(["fee-split", bad]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: .*(from 0 to 5000|whole basis points).*1000 = 10 %/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await hub.governance()).verifierFeeBps).toBe(2500);
  });

  it("auth: another key is refused, naming the owner and the key used", async () => {
    const other = devPrivateKey(7);
    const address = getAddress(privateKeyToAccount(other).address);
    for (const args of [["fee-split", "100"], ["pause"]]) {
      const refused = admin(args, other);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Only the network owner ${owner}`);
      expect(refused.stderr).toContain(address);
    }
    const g = await hub.governance();
    expect(g.verifierFeeBps).toBe(2500);
    expect(g.paused).toBe(false);
  });

  it("behavior: pause and unpause switch the hub; repeating one is a no-op without a transaction", async () => {
    const paused = admin(["pause"]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.json).toMatchObject({ paused: true });
    expect(paused.json!["tx"]).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await hub.governance()).paused).toBe(true);
    expect(admin(["pause"]).json).toMatchObject({ tx: null, paused: true });

    const resumed = admin(["unpause"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ paused: false });
    expect((await hub.governance()).paused).toBe(false);
    expect(admin(["unpause"]).json).toMatchObject({ tx: null, paused: false });
  });
});
