import { statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { createChainClient, loadDeployment, type OpgDeployment, TxSender } from "@opg/chain";
import {
  createLogger,
  decryptKeystore,
  HttpServer,
  Lifecycle,
  type Logger,
  Metrics,
  type Module,
  readKeystoreFile,
  readPassword,
} from "@opg/daemon";
import { type ExplorerPageConfig, loadExplorerAssets, mountExplorer } from "@opg/explorer";
import { P2PNode } from "@opg/p2p";
import { type OpgDomain, OpgError } from "@opg/protocol";
import type { Address, Chain, Hex, HttpTransport, PrivateKeyAccount, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainMetrics } from "./chainMetrics.js";
import type { CommonConfig } from "./commonConfig.js";
import { FeesGauge } from "./FeesGauge.js";
import { DEFAULT_MIN_SIGNER_BALANCE, OperatorHealth } from "./OperatorHealth.js";

/**
 * The node's signing key: its address, and the key itself held in memory only (non-enumerable,
 * so it never reaches a log line or a JSON dump).
 */
export type NodeSigner = { readonly address: Address; readonly privateKey: Hex };

function nodeSigner(privateKey: Hex): NodeSigner {
  const signer = { address: privateKeyToAccount(privateKey).address } as NodeSigner;
  Object.defineProperty(signer, "privateKey", { value: privateKey, enumerable: false });
  return Object.freeze(signer);
}

/** Decrypts the configured keystore (password from the file, else OPG_KEYSTORE_PASSWORD). */
export async function loadSigner(config: CommonConfig, logger?: Logger): Promise<NodeSigner> {
  const path = dataPath(config, config.keystore.path);
  const password = await readPassword({
    passwordEnv: "OPG_KEYSTORE_PASSWORD",
    passwordFile:
      config.keystore.passwordFile === undefined ? undefined : dataPath(config, config.keystore.passwordFile),
  });
  const { keystore, insecureMode } = await readKeystoreFile(path);
  if (insecureMode) logger?.warn({ path }, "keystore file is readable by group or others; chmod 600 it");
  const signer = nodeSigner(await decryptKeystore(keystore, password));
  logger?.info({ address: signer.address }, "signing key loaded");
  return signer;
}

/** Resolves a config path: absolute as is, else relative to the data dir. */
export function dataPath(config: Pick<CommonConfig, "dataDir">, path: string): string {
  return isAbsolute(path) ? path : resolve(config.dataDir, path);
}

/** Reads `deployments/<chainId>.json` (the config may name the folder or the file). */
export async function loadConfiguredDeployment(config: CommonConfig): Promise<OpgDeployment> {
  const path = dataPath(config, config.chain.deployment);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // missing: loadDeployment names the file it looked for
  }
  return loadDeployment(
    isFile ? { file: path, chainId: config.chain.chainId } : { dir: path, chainId: config.chain.chainId },
  );
}

/**
 * What every opg daemon is made of, built from the common config sections: logger, metrics,
 * lifecycle, signing key, chain client and transaction sender, libp2p node and HTTP server.
 * The daemon adds its own modules with `add`, then `start()`: the p2p node and sender start
 * first, the daemon's modules next, the HTTP server last; `stop` runs in reverse.
 */
export class NodeRuntime {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `opg_chain_*` metrics: the sender's hooks are wired; pass `chainMetrics.watcher(name)` to watchers. */
  readonly chainMetrics: ChainMetrics;
  readonly lifecycle: Lifecycle;
  readonly http: HttpServer;
  readonly p2p: P2PNode;
  readonly client: PublicClient<HttpTransport, Chain>;
  readonly sender: TxSender;
  readonly domain: OpgDomain;
  /** The signing key as a viem account (for transactions). */
  readonly account: PrivateKeyAccount;
  private readonly own: Module[] = [];
  /** Whether the node can do its job (`/health` reasons); absent when the runtime has no role. */
  readonly operatorHealth: OperatorHealth | undefined;
  /** `opg_<exec|verify>_fees_earned_wei`: what the hub holds for this key; absent without a role. */
  readonly fees: FeesGauge | undefined;

  private constructor(
    readonly name: string,
    readonly config: CommonConfig,
    readonly signer: NodeSigner,
    readonly deployment: OpgDeployment,
    logger: Logger,
    version: string,
    role?: "executor" | "verifier",
  ) {
    this.logger = logger;
    this.account = privateKeyToAccount(signer.privateKey);
    this.metrics = new Metrics({ labels: { daemon: name } });
    this.chainMetrics = new ChainMetrics(this.metrics);
    this.lifecycle = new Lifecycle({}, { logger });
    this.client = createChainClient({
      rpcUrl: config.chain.rpcUrl,
      chainId: config.chain.chainId,
      pollingIntervalMs: config.chain.pollIntervalMs,
    });
    this.sender = new TxSender(
      { chainId: config.chain.chainId, receiptPollIntervalMs: Math.min(config.chain.pollIntervalMs, 1_000) },
      {
        client: this.client,
        account: this.account,
        logger: logger.child({ module: "chain-sender" }),
        metrics: this.chainMetrics.sender,
      },
    );
    this.chainMetrics.observeSender(this.sender);
    this.p2p = new P2PNode(
      {
        chainId: config.chain.chainId,
        peerKeyPath: dataPath(config, "peer.key"),
        listenAddresses: config.p2p.listen,
        announceAddresses: config.p2p.announce,
        bootstrapPeers: config.p2p.bootstrap,
        staticPeers: config.p2p.peers,
        exemptPeers: config.p2p.exemptPeers,
        allowPublishToZeroPeers: true,
        gossip: { heartbeatIntervalMs: config.p2p.heartbeatMs },
      },
      { logger, metrics: this.metrics },
    );
    this.http = new HttpServer(
      {
        host: config.http.host,
        port: config.http.port,
        maxBodyBytes: config.http.maxBodyBytes,
        requestTimeoutMs: config.http.requestTimeoutMs,
        corsOrigins: config.http.corsOrigins,
        version,
      },
      { logger, metrics: this.metrics, status: this.lifecycle },
    );
    this.domain = { chainId: deployment.chainId, verifyingContract: deployment.inferenceHub };
    this.operatorHealth =
      role === undefined
        ? undefined
        : new OperatorHealth(
            {
              role,
              rpcUrl: config.chain.rpcUrl,
              cliName: name,
              intervalMs: Math.min(30_000, Math.max(2_000, config.chain.pollIntervalMs * 10)),
              // Verifiers pay gas (settlements, enclave keys); executors send no transactions.
              minBalance: role === "verifier" ? DEFAULT_MIN_SIGNER_BALANCE : 0n,
            },
            {
              client: this.client,
              operatorRegistry: deployment.operatorRegistry,
              signer: signer.address,
              logger: logger.child({ module: "operator" }),
              peers: () => (this.p2p.isStarted ? this.p2p.peers().length : 0),
            },
          );
    this.fees =
      role === undefined
        ? undefined
        : new FeesGauge(
            {
              area: role === "verifier" ? "verify" : "exec",
              intervalMs: Math.min(30_000, Math.max(2_000, config.chain.pollIntervalMs * 10)),
            },
            {
              client: this.client,
              hub: deployment.inferenceHub,
              account: signer.address,
              metrics: this.metrics,
              logger: logger.child({ module: "fees" }),
            },
          );
  }

  /** Builds the runtime: loads the signing key and the deployment; nothing starts yet. */
  static async create(
    name: string,
    config: CommonConfig,
    opts: { version: string; logger?: Logger; role?: "executor" | "verifier" },
  ): Promise<NodeRuntime> {
    const logger = (
      opts.logger ?? createLogger({ level: config.log.level, format: config.log.format })
    ).child({ daemon: name });
    const signer = await loadSigner(config, logger);
    const deployment = await loadConfiguredDeployment(config);
    const runtime = new NodeRuntime(name, config, signer, deployment, logger, opts.version, opts.role);
    if (config.explorer.enabled) await runtime.mountExplorer();
    return runtime;
  }

  /** Serves the explorer page (`explorer.enabled`): this daemon's API by default, the others configured. */
  private async mountExplorer(): Promise<void> {
    const { config, deployment } = this;
    const self = (kind: string) => (this.name === kind ? [""] : []);
    const page: ExplorerPageConfig = {
      chainId: deployment.chainId,
      rpcUrl: config.explorer.rpcUrl ?? config.chain.rpcUrl,
      hub: deployment.inferenceHub,
      operatorRegistry: deployment.operatorRegistry,
      modelRegistry: deployment.modelRegistry,
      publishers: [...(config.chain.publishers as `0x${string}`[]), deployment.deployer],
      verifyUrls: config.explorer.verifyUrls.length > 0 ? config.explorer.verifyUrls : self("opg-verify"),
      execUrls: config.explorer.execUrls.length > 0 ? config.explorer.execUrls : self("opg-exec"),
    };
    mountExplorer(this.http, { config: () => page, assets: await loadExplorerAssets() });
  }

  /** Adds a daemon module, started after the p2p node and sender, before the HTTP server. */
  add(module: Module): this {
    this.own.push(module);
    return this;
  }

  async start(): Promise<void> {
    const sender = this.sender;
    const p2p = this.p2p;
    this.lifecycle.add({
      name: "p2p",
      start: () =>
        p2p.start().catch((err: unknown) => {
          if (!/EADDRINUSE|address already in use/i.test(errorText(err))) throw err;
          throw new OpgError(
            "PORT_IN_USE",
            `A p2p listen address (${this.config.p2p.listen.join(", ")}) is already in use: stop the process that holds it, or set another p2p.listen (--p2p.listen, OPG_P2P_LISTEN).`,
            { cause: err },
          );
        }),
      stop: () => p2p.stop(),
      health: () => ({
        peerId: p2p.isStarted ? p2p.peerId.toString() : undefined,
        addresses: p2p.isStarted ? p2p.multiaddrs.map((m) => m.toString()) : [],
        peers: p2p.isStarted ? p2p.peers().length : 0,
      }),
    });
    this.lifecycle.add({
      name: sender.name,
      start: (signal) => sender.start(signal),
      stop: () => sender.stop(),
      ready: () => sender.ready(),
      health: () => ({ address: this.account.address, ...sender.health() }),
    });
    if (this.operatorHealth) this.lifecycle.add(this.operatorHealth);
    if (this.fees) {
      const fees = this.fees;
      this.lifecycle.add({
        name: fees.name,
        start: () => fees.start(),
        stop: () => fees.stop(),
        health: () => ({ earnedWei: fees.balance?.toString(), verifierFeeBps: fees.verifierFeeBps }),
      });
    }
    for (const m of this.own) this.lifecycle.add(m);
    this.lifecycle.add(this.http);
    await this.lifecycle.start();
    this.logger.info(
      {
        http: this.http.address(),
        peerId: p2p.peerId.toString(),
        addresses: p2p.multiaddrs.map((m) => m.toString()),
        signer: this.account.address,
        hub: this.deployment.inferenceHub,
      },
      `${this.name} started`,
    );
  }

  stop(reason?: string): Promise<unknown> {
    return this.lifecycle.stop(reason);
  }

  /** Path of a file in the data dir. */
  path(name: string): string {
    return join(dataPath(this.config, "."), name);
  }
}

/** An error's message and its causes', for matching a system error code wrapped by a library. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err, i = 0;
    e !== undefined && e !== null && i < 8;
    e = (e as { cause?: unknown }).cause, i++
  ) {
    parts.push(String((e as { code?: unknown }).code ?? ""), e instanceof Error ? e.message : String(e));
  }
  return parts.join(" ");
}
