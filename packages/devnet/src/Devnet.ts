import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { DevRoot } from "@opg/attestation";
import { loadOrCreatePeerKey } from "@opg/p2p";
import { type OpgDomain, ProofMode, type TensorMap } from "@opg/protocol";
import {
  DaemonProcess,
  daemonCliPath,
  freePort,
  HardhatNode,
  type LocalNetwork,
  prepareNodeDir,
  TcpProxy,
} from "@opg/testkit";
import type { CompileOptions } from "@opg/zk/toolchain";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DemoNetwork } from "./demo.js";
import { deployDevnet } from "./deployDevnet.js";
import { type DevnetZkSetup, devnetModelSetups } from "./modelSetups.js";
import { sealDevnetZkKeys } from "./sealZkKeys.js";
import { DEVNET } from "./topology.js";
import { runDevnetZkCeremony } from "./zkCeremony.js";

/** A model the devnet registers on chain and installs on every executor. */
export type DevnetModel = {
  name: string;
  file: string;
  modes: readonly ProofMode[];
  price?: bigint;
  measurements?: readonly Hex[];
  weightsCommitment?: Hex;
  zkVerifier?: Hex;
  /** ZK: the verification key hash the adapter embeds (the listing declares it). */
  vkHash?: Hex;
  /** ZK: sha256 of the key's final zkey (the ceremony transcript's), what the verifiers seal. */
  zkTranscriptHash?: Hex;
  /** Inputs the demo sends to it in direct requests. */
  demoInputs?: () => TensorMap;
  /**
   * ZK: its artifact directory when not among @opg/zk's committed examples (e.g. built into the
   * ZK cache); copied into every daemon's `zk-artifacts`.
   */
  zkArtifactsDir?: string;
  /**
   * ZK: how its circuit is compiled (e.g. the fixed-point scale) when not the compiler's defaults;
   * the ceremony rebuilds the circuit with these, as `zkArtifactsDir` was built.
   */
  zkCompileOptions?: Partial<CompileOptions>;
  /** ZK: the phase 1 its ceremony pins when the committed development one is too small. */
  zkPtauPath?: string;
  /** ZK: the demo also sends it these inputs on chain, settled by the proof (`expected`: the class). */
  zkOnChainDemo?: { inputs: () => TensorMap; expected: string };
};

export type DevnetOptions = {
  /** Folder of every node's state; logs go to `<dir>/logs`. */
  dir: string;
  models: readonly DevnetModel[];
  /** Fixed ports from the topology (`--keep` runs), or fresh free ones (tests). */
  ports: "fixed" | "free";
  blockTimeMs?: number;
  /** Put a TCP proxy between the daemons and the chain (so a test can cut the RPC). */
  rpcProxy?: boolean;
  verifierFlags?: readonly string[];
  execFlags?: readonly string[];
  /** Executors and verifiers to run (default: the topology's 2 and 3, f = 1); tests may run fewer. */
  executors?: number;
  verifiers?: number;
  f?: number;
  /** How long each daemon may take to answer `/ready` (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * How the ZK models get their key (default `ceremony`: the verifiers' phase-2 ceremony at
   * start-up; `example`: the committed example key, sealed as it is — faster, single-party).
   */
  zkSetup?: DevnetZkSetup;
  /** Serve the explorer page from verify-0 (default true); see `explorerUrl`. */
  explorer?: boolean;
  log?: (line: string) => void;
};

/** One daemon of the devnet. */
export type DevnetNode = {
  name: string;
  kind: "exec-node" | "verify-node";
  dir: string;
  key: Hex;
  httpUrl: string;
  p2pPort: number;
  p2pAddress: string;
  proc: DaemonProcess;
};

/**
 * The whole network on this machine: a Hardhat node mining every second, the contracts
 * deployed and configured (3 verifiers with f = 1, 2 executors, the models), and 2 opg-exec and
 * 3 opg-verify processes connected over libp2p on loopback, each with its data dir and log.
 */
export class Devnet {
  readonly execs: DevnetNode[] = [];
  readonly verifiers: DevnetNode[] = [];
  proxy: TcpProxy | undefined;
  readonly modelIds = new Map<string, Hex>();

  private constructor(
    readonly options: DevnetOptions,
    readonly chain: HardhatNode,
    readonly net: LocalNetwork,
  ) {}

  get domain(): OpgDomain {
    return { chainId: this.net.deployment.chainId, verifyingContract: this.net.deployment.inferenceHub };
  }

  /** The RPC URL the daemons use (the proxy's when there is one). */
  get rpcUrl(): string {
    return this.proxy?.url ?? this.chain.rpcUrl;
  }

  get logDir(): string {
    return join(this.options.dir, "logs");
  }

  /** The development enclave root every executor signs under and every verifier trusts. */
  get devRootDir(): string {
    return join(this.options.dir, "nitro-dev-root");
  }

  static async start(options: DevnetOptions): Promise<Devnet> {
    const log = options.log ?? (() => {});
    const t0 = performance.now();
    mkdirSync(join(options.dir, "logs"), { recursive: true });
    log(`chain: starting a Hardhat node (${options.blockTimeMs ?? DEVNET.blockTimeMs} ms blocks)`);
    const chain = await HardhatNode.start({
      ...(options.ports === "fixed" ? { port: DEVNET.chainPort } : {}),
      blockTimeMs: options.blockTimeMs ?? DEVNET.blockTimeMs,
      logFile: join(options.dir, "logs", "chain.log"),
    });
    let started: Devnet | undefined;
    try {
      await DevRoot.loadOrCreate(join(options.dir, "nitro-dev-root"));
      // ZK-mode models get their verifier contracts, TEE-mode ones the dev enclave's measurement.
      const zkSetup = options.zkSetup ?? "ceremony";
      const setups = await devnetModelSetups(options.models, chain.rpcUrl, { zk: zkSetup });
      if (zkSetup === "example" && setups.some((m) => m.model.modes.includes(ProofMode.ZK)))
        log("contracts: deployed the ZK models' verifier contracts (the example key)");
      const models = setups.map((m) => m.setup);
      log(
        `contracts: deploying and registering ${options.verifiers ?? DEVNET.verifiers} verifiers (f = ${options.f ?? DEVNET.f}), ${options.executors ?? DEVNET.executors} executors and the models`,
      );
      // The operators' own commands (opg-admin deploy / verifiers set, opg-exec|opg-verify register).
      const net = await deployDevnet({
        rpcUrl: chain.rpcUrl,
        dir: options.dir,
        verifiers: options.verifiers ?? DEVNET.verifiers,
        executors: options.executors ?? DEVNET.executors,
        f: options.f ?? DEVNET.f,
        models,
      });
      // The verifier set seals the example ZK keys (settleWithProof refuses an unsealed key).
      const sealed = await sealDevnetZkKeys({
        rpcUrl: chain.rpcUrl,
        net,
        models: setups.map((m) => m.model),
      });
      if (sealed.length > 0) log(`contracts: ${sealed.length} ZK listing key(s) sealed by the verifier set`);
      const devnet = new Devnet(options, chain, net);
      started = devnet;
      for (const [i, m] of options.models.entries()) devnet.modelIds.set(m.name, models[i]!.modelId);
      if (options.rpcProxy) {
        devnet.proxy = new TcpProxy({ host: "127.0.0.1", port: chain.port });
        await devnet.proxy.up();
      }
      await devnet.prepare();
      if (zkSetup === "ceremony")
        await devnet.zkCeremony(
          setups.map((m) => m.model),
          log,
        );
      await devnet.startAll(log);
      log(`devnet: up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return devnet;
    } catch (err) {
      // No daemon outlives a failed start (one that did not get ready in time, say).
      await Promise.all(
        [...(started?.execs ?? []), ...(started?.verifiers ?? [])].map((n) => n.proc?.kill("SIGKILL")),
      );
      await started?.proxy?.down();
      chain.stop();
      throw err;
    }
  }

  private async node(kind: DevnetNode["kind"], i: number, key: Hex): Promise<DevnetNode> {
    const fixed = this.options.ports === "fixed";
    const name = `${kind === "exec-node" ? "exec" : "verify"}-${i}`;
    const dir = join(this.options.dir, name);
    await prepareNodeDir(dir, key, this.net.deployment);
    const { privateKey } = await loadOrCreatePeerKey(join(dir, "peer.key"));
    const httpPort = fixed
      ? (kind === "exec-node" ? DEVNET.execHttpBase : DEVNET.verifyHttpBase) + i
      : await freePort();
    const p2pPort = fixed
      ? (kind === "exec-node" ? DEVNET.execP2pBase : DEVNET.verifyP2pBase) + i
      : await freePort();
    return {
      name,
      kind,
      dir,
      key,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      p2pPort,
      p2pAddress: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerIdFromPrivateKey(privateKey).toString()}`,
      proc: undefined as unknown as DaemonProcess,
    };
  }

  private async prepare(): Promise<void> {
    for (const [i, key] of this.net.executorKeys.entries())
      this.execs.push(await this.node("exec-node", i, key));
    for (const [i, key] of this.net.verifierKeys.entries())
      this.verifiers.push(await this.node("verify-node", i, key));
    for (const e of this.execs) {
      for (const m of this.options.models) {
        execFileSync(
          process.execPath,
          [daemonCliPath("exec-node"), "--data-dir", e.dir, "models", "add", m.file, "--name", m.name],
          {
            stdio: "ignore",
          },
        );
      }
    }
    const all = [...this.execs, ...this.verifiers];
    // Artifacts built outside the committed examples: every executor proves with them, every
    // verifier checks with them (`zk-artifacts` under the data dir is where both look first).
    for (const m of this.options.models) {
      if (m.zkArtifactsDir === undefined) continue;
      for (const n of all) {
        cpSync(m.zkArtifactsDir, join(n.dir, "zk-artifacts", basename(m.zkArtifactsDir)), {
          recursive: true,
        });
      }
    }
    for (const n of all) {
      const extra = [
        ...(n.kind === "verify-node" ? (this.options.verifierFlags ?? []) : (this.options.execFlags ?? [])),
        ...this.explorerFlags(n),
      ];
      n.proc = new DaemonProcess(n.kind, this.args(n, all, extra), {
        logFile: join(this.logDir, `${n.name}.log`),
        httpUrl: n.httpUrl,
      });
    }
  }

  /**
   * The verifiers' phase-2 ceremony for the ZK models (`runDevnetZkCeremony`), before the daemons
   * start: every node gets the final keys in its `zk-artifacts/`.
   */
  private async zkCeremony(models: readonly DevnetModel[], log: (line: string) => void): Promise<void> {
    if (!models.some((m) => m.modes.includes(ProofMode.ZK) && m.zkVerifier === undefined)) return;
    const t0 = performance.now();
    log(`zk: phase-2 ceremony among the ${this.verifiers.length} verifiers`);
    await runDevnetZkCeremony({
      rpcUrl: this.chain.rpcUrl,
      net: this.net,
      models,
      dir: join(this.options.dir, "zk-ceremony"),
      installInto: [...this.verifiers, ...this.execs].map((n) => n.dir),
      log,
    });
    log(`zk: keys sealed on chain (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  /** The `start` command line of a node: every devnet key as a flag (see topology.ts). */
  args(n: DevnetNode, all: readonly DevnetNode[], extra: readonly string[]): string[] {
    return [
      "--data-dir",
      n.dir,
      "start",
      "--keystore.password-file",
      "password",
      "--http.host",
      "127.0.0.1",
      "--http.port",
      new URL(n.httpUrl).port,
      "--chain.rpc-url",
      this.rpcUrl,
      "--chain.poll-interval-ms",
      String(DEVNET.pollIntervalMs),
      "--p2p.listen",
      `/ip4/127.0.0.1/tcp/${n.p2pPort}`,
      "--p2p.peers",
      ...all.filter((p) => p !== n).map((p) => p.p2pAddress),
      "--p2p.heartbeat-ms",
      String(DEVNET.heartbeatMs),
      "--log.format",
      "json",
      ...(n.kind === "verify-node"
        ? [
            "--batching.max-batch-age-ms",
            String(DEVNET.maxBatchAgeMs),
            "--batching.leader-timeout-ms",
            String(DEVNET.leaderTimeoutMs),
            "--tee.enabled",
            "true",
            "--tee.dev-root-pem",
            this.devRootDir,
            "--zk.enabled",
            "true",
          ]
        : [
            "--tee.enabled",
            "true",
            "--tee.dev-root-dir",
            this.devRootDir,
            "--tee.image-id",
            DEVNET.enclaveImageId,
            "--zk.enabled",
            "true",
            // Executors deliver their own settled on-chain results, proofs from any verifier;
            // ZK requests settle at once by their proof.
            "--delivery.verifier-urls",
            ...all.filter((p) => p.kind === "verify-node").map((p) => p.httpUrl),
            "--delivery.zk",
            "proof",
          ]),
      ...extra,
    ];
  }

  /**
   * verify-0 serves the explorer page, pointed at every daemon's API and at the chain; every daemon
   * lets that page's origin call its API (CORS).
   */
  private explorerFlags(n: DevnetNode): string[] {
    const page = this.verifiers[0];
    if (this.options.explorer === false || !page) return [];
    const flags = ["--http.cors-origins", new URL(page.httpUrl).origin];
    if (n !== page) return flags;
    return [
      ...flags,
      "--explorer.enabled",
      "true",
      "--explorer.rpc-url",
      this.chain.rpcUrl,
      "--explorer.verify-urls",
      ...this.verifiers.map((v) => v.httpUrl),
      "--explorer.exec-urls",
      ...this.execs.map((e) => e.httpUrl),
    ];
  }

  /** The explorer page (served by verify-0), or undefined when disabled. */
  get explorerUrl(): string | undefined {
    const page = this.verifiers[0];
    return this.options.explorer === false || !page ? undefined : `${page.httpUrl}/explorer/`;
  }

  private async startAll(log: (line: string) => void): Promise<void> {
    log(
      `daemons: starting ${this.execs.length} opg-exec and ${this.verifiers.length} opg-verify (logs in ${this.logDir})`,
    );
    await Promise.all(
      [...this.execs, ...this.verifiers].map((n) => n.proc.start(this.options.readyTimeoutMs)),
    );
  }

  /** What the demo (`runDemo`) talks to. */
  demoNetwork(): DemoNetwork {
    return {
      rpcUrl: this.chain.rpcUrl,
      hub: this.net.deployment.inferenceHub,
      requesterKey: this.net.requesterKeys[0]!,
      publisher: this.net.deployment.deployer,
      execUrls: this.execs.map((e) => e.httpUrl),
      verifyUrls: this.verifiers.map((v) => v.httpUrl),
      models: this.options.models,
      modelIds: this.modelIds,
      publicClient: this.net.publicClient,
      // The executors get the verifiers' URLs (see args) and deliver the on-chain rows themselves.
      executorsDeliver: {
        executors: this.net.executorKeys.map((k) => privateKeyToAccount(k).address),
        fromBlock: BigInt(this.net.deployment.startBlock),
      },
    };
  }

  /** Every endpoint, for `--keep`. */
  endpoints(): Record<string, string> {
    const out: Record<string, string> = {
      ...(this.explorerUrl ? { explorer: this.explorerUrl } : {}),
      chain: this.chain.rpcUrl,
      hub: this.net.deployment.inferenceHub,
      operatorRegistry: this.net.deployment.operatorRegistry,
      modelRegistry: this.net.deployment.modelRegistry,
      logs: this.logDir,
    };
    for (const n of [...this.execs, ...this.verifiers]) {
      out[`${n.name} http`] = n.httpUrl;
      out[`${n.name} p2p`] = n.p2pAddress;
    }
    for (const [name, id] of this.modelIds) out[`model ${name}`] = id;
    return out;
  }

  /** Stops every daemon (SIGTERM: clean shutdown), then the chain. */
  async stop(): Promise<void> {
    await Promise.all([...this.execs, ...this.verifiers].map((n) => n.proc?.kill("SIGTERM")));
    await this.proxy?.down();
    this.chain.stop();
  }
}
