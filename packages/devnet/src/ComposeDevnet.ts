import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { hardhat } from "viem/chains";
import type { DemoNetwork } from "./demo.js";
import { devnetModels } from "./models.js";
import { DEVNET } from "./topology.js";

export type ComposeDevnetOptions = {
  /** The repository root: docker/compose.yml, docker/base-image. */
  root: string;
  /** The compose project (default `opg-devnet`, as docker/.env names it). */
  project?: string;
  /** Where docker's and compose's own output goes: this terminal, or appended to a file. */
  output?: "inherit" | { file: string };
  log?: (line: string) => void;
};

/** `<data>/devnet.json`, written by the deployer (docker/deployer/deploy.mjs). */
export type ComposeSummary = {
  chainId: number;
  deployment: {
    inferenceHub: Hex;
    operatorRegistry: Hex;
    modelRegistry: Hex;
    deployer: Hex;
    startBlock: string;
  };
  models: Record<string, Hex>;
  requesterKeys: Hex[];
  /** The executors' signing addresses, in topology order (they deliver their on-chain results). */
  executors: Address[];
  nodes: { name: string; kind: string; http: string; p2p: string }[];
};

/**
 * How to run Compose here: `docker compose` (v2, a Docker CLI plugin) when the CLI has it, else
 * `docker-compose` (v1, Debian's 1.29). OPG_COMPOSE overrides it (`OPG_COMPOSE="docker-compose"`).
 * Undefined when there is none.
 */
export function composeCommand(): string[] | undefined {
  const override = process.env["OPG_COMPOSE"]?.trim();
  if (override) return override.split(/\s+/);
  for (const cmd of [["docker", "compose"], ["docker-compose"]]) {
    if (spawnSync(cmd[0]!, [...cmd.slice(1), "version"], { stdio: "ignore" }).status === 0) return cmd;
  }
  return undefined;
}

/** The host's URL of a published devnet port (docker/compose.yml publishes them on loopback). */
function hostUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * The devnet of docker/compose.yml, driven from the host: builds the images (the base image
 * first, docker/base-image), brings the network up, waits for every daemon, and describes it to
 * the demo through the published ports, exactly as a developer's SDK on the host sees it.
 */
export class ComposeDevnet {
  readonly project: string;
  readonly composeFile: string;
  private readonly compose: string[];
  private readonly log: (line: string) => void;

  constructor(readonly options: ComposeDevnetOptions) {
    const compose = composeCommand();
    if (!compose)
      throw new Error("Docker Compose is not installed (neither `docker compose` nor `docker-compose`).");
    this.compose = compose;
    this.project = options.project ?? "opg-devnet";
    this.composeFile = join(options.root, "docker", "compose.yml");
    this.log = options.log ?? (() => {});
  }

  /** Runs a command from the repository root, its output where `options.output` says; rejects on failure. */
  private async run(cmd: readonly string[], env: Record<string, string> = {}): Promise<void> {
    const output = this.options.output ?? "inherit";
    const fd = output === "inherit" ? undefined : openSync(output.file, "a");
    try {
      const child = spawn(cmd[0]!, cmd.slice(1), {
        cwd: this.options.root,
        stdio: fd === undefined ? ["ignore", "inherit", "inherit"] : ["ignore", fd, fd],
        env: { ...process.env, ...env },
      });
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (c, signal) => resolve(signal ? 128 : c));
      });
      if (code !== 0) {
        const where = output === "inherit" ? "" : ` (output in ${output.file})`;
        throw new Error(`\`${cmd.join(" ")}\` failed with exit code ${code}${where}`);
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** `docker compose -p <project> -f docker/compose.yml <args>`, v1 or v2. */
  composeArgs(args: readonly string[]): string[] {
    return [...this.compose, "-p", this.project, "-f", this.composeFile, ...args];
  }

  /**
   * The devnet's one image (`opg-devnet:local`, docker/devnet-image): the base image (pulled, or
   * built here without a registry) plus this checkout's installed and built workspace. Nothing to
   * do when the image of the same inputs exists.
   */
  async build(): Promise<void> {
    this.log("docker: the devnet image from this workspace (docker/devnet-image)");
    await this.run([join(this.options.root, "docker", "devnet-image")]);
  }

  /** Starts the network (chain, deployer, daemons) and waits until every daemon is ready. */
  async up(timeoutMs = 600_000): Promise<void> {
    this.log("docker: starting the chain, the deployer, 2 opg-exec and 3 opg-verify");
    await this.run(this.composeArgs(["up", "-d"]));
    await this.waitReady(timeoutMs);
  }

  /** Waits until the chain answers and every daemon's `/ready` answers 200 on its published port. */
  async waitReady(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const urls = this.daemonUrls().map((u) => `${u}/ready`);
    for (;;) {
      const pending: string[] = [];
      for (const url of urls) {
        const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (!ok) pending.push(url);
      }
      if (pending.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`the compose devnet is not ready after ${timeoutMs} ms: ${pending.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  /** Every daemon's HTTP API on the host, executors first (topology order). */
  daemonUrls(): string[] {
    return [...this.execUrls(), ...this.verifyUrls()];
  }

  execUrls(): string[] {
    return Array.from({ length: DEVNET.executors }, (_, i) => hostUrl(DEVNET.execHttpBase + i));
  }

  verifyUrls(): string[] {
    return Array.from({ length: DEVNET.verifiers }, (_, i) => hostUrl(DEVNET.verifyHttpBase + i));
  }

  get rpcUrl(): string {
    return hostUrl(DEVNET.chainPort);
  }

  /** The deployer's summary (`/data/devnet.json` on the shared volume), read through a daemon. */
  async summary(): Promise<ComposeSummary> {
    const [cmd, ...args] = this.composeArgs(["exec", "-T", "verify-0", "cat", "/data/devnet.json"]);
    const res = spawnSync(cmd!, args, { cwd: this.options.root, encoding: "utf8" });
    if (res.status !== 0) throw new Error(`cannot read /data/devnet.json: ${res.stderr.trim()}`);
    return JSON.parse(res.stdout) as ComposeSummary;
  }

  /** What the demo talks to: the chain and the daemons through their published ports. */
  async demoNetwork(): Promise<DemoNetwork> {
    const summary = await this.summary();
    const models = devnetModels().filter((m) => summary.models[m.name] !== undefined);
    return {
      rpcUrl: this.rpcUrl,
      hub: summary.deployment.inferenceHub,
      requesterKey: summary.requesterKeys[0]!,
      publisher: summary.deployment.deployer,
      execUrls: this.execUrls(),
      verifyUrls: this.verifyUrls(),
      models,
      modelIds: new Map(models.map((m) => [m.name, summary.models[m.name]!])),
      publicClient: createPublicClient({
        chain: hardhat,
        transport: http(this.rpcUrl),
        pollingInterval: 250,
      }),
      // The executors deliver the on-chain rows themselves (compose.yml: OPG_DELIVERY_*).
      executorsDeliver: {
        executors: summary.executors,
        fromBlock: BigInt(summary.deployment.startBlock),
      },
    };
  }

  /** Sends a signal to one service's container (`SIGKILL`: a crash). */
  async kill(service: string, signal = "SIGKILL"): Promise<void> {
    await this.run(this.composeArgs(["kill", "-s", signal, service]));
  }

  /** Starts one service's container again (after `kill`). */
  async start(service: string): Promise<void> {
    await this.run(this.composeArgs(["start", service]));
  }

  /** Stops and removes the containers, the network and the volumes (the chain and every data dir). */
  async down(): Promise<void> {
    await this.run(this.composeArgs(["down", "--volumes", "--remove-orphans", "--timeout", "30"]));
  }

  /** Every endpoint on the host, for `--keep`. */
  endpoints(summary: ComposeSummary): Record<string, string> {
    const out: Record<string, string> = {
      chain: this.rpcUrl,
      hub: summary.deployment.inferenceHub,
      operatorRegistry: summary.deployment.operatorRegistry,
      modelRegistry: summary.deployment.modelRegistry,
      logs: `${this.composeArgs(["logs", "-f", "<service>"]).join(" ")}`,
    };
    for (const [i, url] of this.execUrls().entries()) out[`exec-${i} http`] = url;
    for (const [i, url] of this.verifyUrls().entries()) out[`verify-${i} http`] = url;
    for (const [name, id] of Object.entries(summary.models)) out[`model ${name}`] = id;
    return out;
  }
}
