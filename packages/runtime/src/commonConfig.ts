import * as z from "zod";

/**
 * Config sections both daemons share. Each key maps to an `OPG_*` env variable and a flag
 * (see @opg/daemon's loadConfig); docs/configuration.md lists them all.
 */
export const logConfig = z.object({
  level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  format: z.enum(["auto", "pretty", "json"]).default("auto"),
});

export const httpConfig = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.int().min(0).max(65535),
  maxBodyBytes: z
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  requestTimeoutMs: z.int().positive().default(60_000),
});

export const keystoreConfig = z.object({
  /** Encrypted V3 keystore of the node's signing key (created by `init`). */
  path: z.string().default("keystore.json"),
  /** File holding the keystore password; else the env variable OPG_KEYSTORE_PASSWORD. */
  passwordFile: z.string().optional(),
});

export const chainConfig = z.object({
  rpcUrl: z.url().default("http://127.0.0.1:8545"),
  chainId: z.int().positive().default(31337),
  /** Folder holding `deployments/<chainId>.json` files, or the JSON file itself. */
  deployment: z.string().default("deployments"),
  /** Blocks an event must be buried under before it is acted on. */
  confirmations: z.int().min(0).default(0),
  pollIntervalMs: z.int().positive().default(1_000),
});

export const p2pConfig = z.object({
  listen: z.array(z.string()).default(["/ip4/127.0.0.1/tcp/0"]),
  announce: z.array(z.string()).default([]),
  /** Peers dialled at start (`/ip4/…/tcp/…/p2p/<peerId>`). */
  bootstrap: z.array(z.string()).default([]),
  /** Peers kept connected, redialled when they drop. */
  peers: z.array(z.string()).default([]),
  /** Gossipsub heartbeat; small networks (devnet) form meshes faster with a short one. */
  heartbeatMs: z.int().positive().default(1_000),
});

/** The sections every daemon config has; a daemon extends it with its own. */
export function commonConfig(defaults: { httpPort: number }) {
  return z.object({
    /** Where the node keeps its state (databases, peer key, checkpoints). */
    dataDir: z.string().default("."),
    log: logConfig,
    http: httpConfig.extend({ port: z.int().min(0).max(65535).default(defaults.httpPort) }),
    keystore: keystoreConfig,
    chain: chainConfig,
    p2p: p2pConfig,
  });
}

export type CommonConfig = z.output<ReturnType<typeof commonConfig>>;
