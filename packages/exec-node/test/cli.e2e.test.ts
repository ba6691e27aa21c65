import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deploymentToJson, operatorRegistryAbi } from "@opg/contracts";
import {
  addModel,
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  devPrivateKey,
  freePort,
  HardhatNode,
  type LocalNetwork,
} from "@opg/testkit";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The `opg-exec` binary as an operator runs it (built dist, real chain). */
function cli(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [daemonCliPath("exec-node"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

describe("opg-exec CLI: init, register, models, start, status", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  const dir = join(mkdtempSync(join(tmpdir(), "opg-exec-cli-")), "node");
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({ rpcUrl: chain.rpcUrl, verifiers: 1, executors: 0, f: 0 });
  });

  afterAll(async () => {
    await daemon?.kill("SIGTERM");
    chain?.stop();
  });

  it("default: init creates an encrypted key and a config; register stakes it on chain", async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), "opg-key-")), "key");
    const key: Hex = devPrivateKey(17);
    writeFileSync(keyFile, key);
    const init = cli([
      "--data-dir",
      dir,
      "init",
      "--password-file",
      join(dir, "..", "password"),
      "--private-key-file",
      keyFile,
    ]);
    expect(init.status, init.stderr).toBe(0);
    const { address } = JSON.parse(init.stdout) as { address: Hex };
    expect(statSync(join(dir, "keystore.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "keystore.json"), "utf8")).not.toContain(key.slice(2));
    expect(existsSync(join(dir, "config.json"))).toBe(true);

    mkdirSync(join(dir, "deployments"), { recursive: true });
    writeFileSync(join(dir, "deployments", "31337.json"), JSON.stringify(deploymentToJson(net.deployment)));
    const register = cli(["--data-dir", dir, "register", "--stake", "0.5", "--chain.rpc-url", chain.rpcUrl]);
    expect(register.status, register.stderr).toBe(0);
    expect(JSON.parse(register.stdout)).toMatchObject({ registered: "executor", signer: address });
    const active = await net.publicClient.readContract({
      address: net.deployment.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "isActiveExecutor",
      args: [address],
    });
    expect(active).toBe(true);
  });

  it("default: models add, list and remove", () => {
    const file = join(dir, "..", "add.onnx");
    writeFileSync(file, addModel());
    const add = cli(["--data-dir", dir, "models", "add", file, "--name", "add"]);
    expect(add.status, add.stderr).toBe(0);
    const { modelId } = JSON.parse(add.stdout) as { modelId: string };
    const list = cli(["--data-dir", dir, "models", "list"]);
    expect((JSON.parse(list.stdout) as { modelId: string }[]).map((m) => m.modelId)).toEqual([modelId]);
    const extra = join(dir, "..", "extra.onnx");
    writeFileSync(extra, addModel().slice(0, -1));
    const broken = cli(["--data-dir", dir, "models", "add", extra]);
    expect(broken.status).not.toBe(0);
    const again = cli(["--data-dir", dir, "models", "add", file]);
    expect(again.status).toBe(0);
    const removed = cli(["--data-dir", dir, "models", "remove", modelId]);
    expect(JSON.parse(removed.stdout)).toEqual({ modelId, removed: true });
    expect(cli(["--data-dir", dir, "models", "remove", modelId]).status).toBe(1);
    expect(cli(["--data-dir", dir, "models", "add", file]).status).toBe(0);
  });

  it("default: start serves, status reports the provider and the signer", async () => {
    const port = await freePort();
    daemon = new DaemonProcess(
      "exec-node",
      [
        "--data-dir",
        dir,
        "start",
        "--http.port",
        String(port),
        "--chain.rpc-url",
        chain.rpcUrl,
        "--log.format",
        "json",
      ],
      { logFile: join(dir, "daemon.log"), httpUrl: `http://127.0.0.1:${port}` },
    );
    await daemon.start();
    const status = cli(["--data-dir", dir, "status", "--http.port", String(port)]);
    expect(status.status, status.stderr).toBe(0);
    const health = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(JSON.stringify(health)).toContain('"provider":"cpu"');
    expect(await daemon.kill("SIGTERM")).toBe(0);
    daemon = undefined;
  });

  it("error: a bad config, a missing password and a stopped node give one clear line and exit 1", () => {
    const badKey = cli(["--data-dir", dir, "status", "--http.port", "not-a-port"]);
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/http\.port/);
    const noPassword = cli(["--data-dir", join(dir, "..", "elsewhere"), "init"], {
      OPG_KEYSTORE_PASSWORD: "",
    });
    expect(noPassword.status).toBe(1);
    expect(noPassword.stderr).toMatch(/password/i);
    const down = cli(["--data-dir", dir, "status", "--url", "http://127.0.0.1:9"]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/No opg-exec answers/);
  });
});
