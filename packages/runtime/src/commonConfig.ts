import * as z from "zod";

/**
 * Config sections both daemons share. Each key maps to an `OPG_*` env variable and a flag
 * (see @opg/daemon's loadConfig); docs/configuration.md lists them all.
 */
export const logConfig = z.object({
  level: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("Log level."),
  format: z
    .enum(["auto", "pretty", "json"])
    .default("auto")
    .describe("Log format: pretty on a terminal, JSON otherwise (auto), or forced."),
});

export const httpConfig = z.object({
  host: z
    .string()
    .default("127.0.0.1")
    .describe("Address the HTTP API (/health, /ready, /metrics, /v1/…) listens on."),
  port: z.int().min(0).max(65535),
  maxBodyBytes: z
    .int()
    .positive()
    .default(8 * 1024 * 1024)
    .describe("Largest accepted request body; larger ones get 413."),
  requestTimeoutMs: z
    .int()
    .positive()
    .default(60_000)
    .describe("Time to answer one HTTP request before 503 REQUEST_TIMEOUT."),
  corsOrigins: z
    .array(z.string())
    .default([])
    .describe(
      "Origins whose web pages may call the HTTP API from a browser (CORS), e.g. an explorer served by another daemon; `*` for any.",
    ),
});

export const explorerConfig = z.object({
  enabled: z
    .boolean()
    .default(false)
    .describe("Serve the explorer web page at /explorer/ (recent results, batches, checks in the browser)."),
  rpcUrl: z
    .url()
    .optional()
    .describe("JSON-RPC URL the page's browser uses (default: chain.rpcUrl); it must allow CORS."),
  verifyUrls: z
    .array(z.string())
    .default([])
    .describe("Verifier APIs the page reads (default: this daemon when it is a verifier)."),
  execUrls: z
    .array(z.string())
    .default([])
    .describe(
      "Executor APIs the page's request form sends to (default: this daemon when it is an executor).",
    ),
});

export const keystoreConfig = z.object({
  /** Encrypted V3 keystore of the node's signing key (created by `init`). */
  path: z
    .string()
    .default("keystore.json")
    .describe("Encrypted V3 keystore of the node's signing key (created by `init`)."),
  /** File holding the keystore password; else the env variable OPG_KEYSTORE_PASSWORD. */
  passwordFile: z
    .string()
    .optional()
    .describe("File holding the keystore password; else the env variable OPG_KEYSTORE_PASSWORD."),
});

export const chainConfig = z.object({
  rpcUrl: z.url().default("http://127.0.0.1:8545").describe("JSON-RPC endpoint of the chain."),
  chainId: z
    .int()
    .positive()
    .default(31337)
    .describe(
      "Chain id; checked against the RPC and the deployment file. 31337 (a local dev chain) runs the devnet profile: committed example ZK artifacts and development powers-of-tau allowed, no ZK ceremony required by default.",
    ),
  /** Folder holding `deployments/<chainId>.json` files, or the JSON file itself. */
  deployment: z
    .string()
    .default("deployments")
    .describe("Folder holding `deployments/<chainId>.json` files, or the JSON file itself."),
  /** Blocks an event must be buried under before it is acted on. */
  confirmations: z
    .int()
    .min(0)
    .default(0)
    .describe("Blocks an event must be buried under before it is acted on."),
  pollIntervalMs: z
    .int()
    .positive()
    .default(1_000)
    .describe("How often the chain is polled for events and receipts."),
  publishers: z
    .array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x + 40 hex digits)"))
    .default([])
    .describe(
      "Model publishers whose listings direct requests (which name no listing) resolve to, first match first; then the deployment's deployer, then the executor's own account (its operator's `models register`).",
    ),
});

export const p2pConfig = z.object({
  listen: z.array(z.string()).default(["/ip4/127.0.0.1/tcp/0"]).describe("libp2p listen multiaddrs (TCP)."),
  announce: z
    .array(z.string())
    .default([])
    .describe("Multiaddrs announced to peers instead of the listen addresses (NAT, containers)."),
  /** Peers dialled at start (`/ip4/…/tcp/…/p2p/<peerId>`). */
  bootstrap: z
    .array(z.string())
    .default([])
    .describe("Peers dialled at start (`/ip4/…/tcp/…/p2p/<peerId>`)."),
  /** Peers kept connected, redialled when they drop. */
  peers: z.array(z.string()).default([]).describe("Peers kept connected, redialled when they drop."),
  /** Peer ids trusted like `peers` without being dialled (e.g. nodes that dial us from our own host or NAT). */
  exemptPeers: z
    .array(z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,}$/, "a libp2p peer id (12D3Koo… or Qm…)"))
    .default([])
    .describe(
      "Peer ids (not addresses) trusted like `p2p.peers` without being dialled: never refused, never charged for sharing an IP with other peers (IP colocation). Use for honest nodes that dial in from this host, a NAT or a shared address; `p2p.peers` are trusted already.",
    ),
  /** Gossipsub heartbeat; small networks (devnet) form meshes faster with a short one. */
  heartbeatMs: z
    .int()
    .positive()
    .default(1_000)
    .describe("Gossipsub heartbeat; small networks (devnet) form meshes faster with a short one."),
});

/** The sections every daemon config has; a daemon extends it with its own. */
export function commonConfig(defaults: { httpPort: number }) {
  return z.object({
    /** Where the node keeps its state (databases, peer key, checkpoints). */
    dataDir: z
      .string()
      .default(".")
      .describe("Where the node keeps its state (databases, peer key, checkpoints)."),
    log: logConfig,
    http: httpConfig.extend({
      port: z
        .int()
        .min(0)
        .max(65535)
        .default(defaults.httpPort)
        .describe("Port of the HTTP API (default: 8645 for opg-exec, 8646 for opg-verify)."),
    }),
    keystore: keystoreConfig,
    chain: chainConfig,
    p2p: p2pConfig,
    explorer: explorerConfig,
  });
}

export type CommonConfig = z.output<ReturnType<typeof commonConfig>>;

/**
 * The chain id of a local development chain (Hardhat, Anvil): a node whose `chain.chainId` is this
 * runs the devnet profile — it may use @opg/zk's committed example artifacts and its development
 * keys, and trusts a ZK key without a ceremony unless told otherwise. No public network uses it,
 * and the daemons check the id against the RPC, so a production node never gets this profile.
 */
export const DEVNET_CHAIN_ID = 31337;

/** Whether a config targets a devnet (see {@link DEVNET_CHAIN_ID}). */
export function isDevnetChain(config: { chain: { chainId: number } }): boolean {
  return config.chain.chainId === DEVNET_CHAIN_ID;
}
