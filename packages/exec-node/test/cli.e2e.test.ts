import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
    timeout: 180_000, // a loaded 2-core machine: each command starts Node, decrypts a scrypt keystore, talks to the chain
  });
}

describe("opg-exec CLI: init, register, models, start, status", { timeout: 900_000 }, () => {
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

    // init again: the key stays, the deployment is copied where the daemon looks, flags are saved.
    const deploymentFile = join(dir, "..", "31337.json");
    writeFileSync(deploymentFile, JSON.stringify(deploymentToJson(net.deployment)));
    const again = cli([
      "--data-dir",
      dir,
      "init",
      "--deployment",
      deploymentFile,
      "--chain.rpc-url",
      chain.rpcUrl,
    ]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ address });
    expect(existsSync(join(dir, "deployments", "31337.json"))).toBe(true);
    const saved = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(saved).toMatchObject({
      chain: { rpcUrl: chain.rpcUrl },
      keystore: { path: "keystore.json", passwordFile: join("..", "password") },
    });

    const low = cli(["--data-dir", dir, "register", "--stake", "0.01"]);
    expect(low.status).toBe(1);
    expect(low.stderr).toMatch(/0\.01 ETH is under the executor minimum of 0\.1 ETH/);
    const register = cli(["--data-dir", dir, "register", "--stake", "0.5"]); // the RPC URL comes from init
    expect(register.status, register.stderr).toBe(0);
    expect(JSON.parse(register.stdout)).toMatchObject({
      action: "registered",
      signer: address,
      stake: "0.5 ETH",
    });
    const active = await net.publicClient.readContract({
      address: net.deployment.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "isActiveExecutor",
      args: [address],
    });
    expect(active).toBe(true);
  });

  it("error: an unfunded signing key is refused with its address and the amount to send", () => {
    const other = join(dir, "..", "unfunded");
    const deploymentFile = join(dir, "..", "31337.json");
    const init = cli([
      "--data-dir",
      other,
      "init",
      "--password-file",
      join(other, "password"),
      "--deployment",
      deploymentFile,
      "--chain.rpc-url",
      chain.rpcUrl,
    ]);
    expect(init.status, init.stderr).toBe(0);
    const { address } = JSON.parse(init.stdout) as { address: Hex };
    const register = cli(["--data-dir", other, "register", "--stake", "0.1"]);
    expect(register.status).toBe(1);
    expect(register.stderr).toContain(`The signer ${address} holds 0 ETH`);
    expect(register.stderr).toMatch(/send at least 0\.105 ETH to 0x/);
    expect(register.stderr).not.toMatch(/\n\s+at /);
    const down = cli([
      "--data-dir",
      other,
      "register",
      "--stake",
      "0.1",
      "--chain.rpc-url",
      "http://127.0.0.1:9",
    ]);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("No chain answers at http://127.0.0.1:9");
  });

  it("default: models register and models add --register put a model on chain with modes and price", () => {
    const file = join(dir, "..", "add.onnx");
    writeFileSync(file, addModel());
    const measurement = `0x${"ab".repeat(32)}`;
    const add = cli([
      "--data-dir",
      dir,
      "models",
      "add",
      file,
      "--register",
      "--modes",
      "none,tee",
      "--price",
      "0.001",
      "--measurement",
      measurement,
    ]);
    expect(add.status, add.stderr).toBe(0);
    const added = JSON.parse(add.stdout) as { modelId: Hex; registration: Record<string, unknown> };
    expect(added.registration).toMatchObject({
      action: "registered",
      modes: ["none", "tee"],
      price: "0.001 ETH",
    });
    const same = cli([
      "--data-dir",
      dir,
      "models",
      "register",
      added.modelId,
      "--modes",
      "none,tee",
      "--price",
      "0.001",
      "--measurement",
      measurement,
    ]);
    expect(JSON.parse(same.stdout)).toMatchObject({ action: "unchanged" });
    const cheaper = cli([
      "--data-dir",
      dir,
      "models",
      "register",
      file,
      "--modes",
      "none",
      "--price",
      "0.002",
    ]);
    expect(cheaper.status, cheaper.stderr).toBe(0);
    expect(JSON.parse(cheaper.stdout)).toMatchObject({
      action: "updated",
      modes: ["none"],
      price: "0.002 ETH",
    });
    const zk = cli(["--data-dir", dir, "models", "register", added.modelId, "--modes", "zk"]);
    expect(zk.status).toBe(1);
    expect(zk.stderr).toMatch(/models add <file.onnx> --zk/);
    const removed = cli(["--data-dir", dir, "models", "remove", added.modelId]);
    expect(removed.status).toBe(0);
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
    await daemon.start(180_000);
    const status = cli(["--data-dir", dir, "status", "--http.port", String(port)]);
    // Alone, the node has no peers to gossip to: up, but degraded, with the reason and exit code 1.
    expect(status.status, status.stderr).toBe(1);
    const health = JSON.parse(status.stdout) as { status: string; reasons: string[] };
    expect(JSON.stringify(health)).toContain('"provider":"cpu"');
    expect(health.status).toBe("degraded");
    expect(health.reasons).toEqual([expect.stringMatching(/^no p2p peers/)]);
    expect(status.stderr).toMatch(/opg-exec degraded: no p2p peers/);

    // A second node on the same port: one line naming the port and the fix, no stack trace.
    const taken = cli([
      "--data-dir",
      dir,
      "start",
      "--http.port",
      String(port),
      "--p2p.listen",
      "/ip4/127.0.0.1/tcp/0",
    ]);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toMatch(/HTTP port 127\.0\.0\.1:\d+ is already in use: .*--http\.port/);
    expect(taken.stderr + taken.stdout).not.toMatch(/\n\s+at /);
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
