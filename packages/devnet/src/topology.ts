/**
 * The devnet's topology: which processes run, on which ports, with which config keys. The native
 * devnet (`scripts/devnet`) starts exactly this; `docker/compose.yml` describes the same, and a
 * test checks the two agree.
 */
export const DEVNET = {
  chainId: 31337,
  /** Hardhat node's JSON-RPC. */
  chainPort: 8545,
  /** Mining interval of the dev chain. */
  blockTimeMs: 1_000,
  verifiers: 3,
  /** Faults tolerated: quorum is f + 1 = 2 of 3. */
  f: 1,
  executors: 2,
  /** HTTP API of `exec-<i>` is on `execHttpBase + i`; its libp2p TCP on `execP2pBase + i`. */
  execHttpBase: 8645,
  execP2pBase: 9645,
  /** HTTP API of `verify-<i>` is on `verifyHttpBase + i`; its libp2p TCP on `verifyP2pBase + i`. */
  verifyHttpBase: 8745,
  verifyP2pBase: 9745,
  /** Verifiers cut a batch once its oldest result is this old (small: a devnet is quiet). */
  maxBatchAgeMs: 500,
  /** A silent batch leader is taken over after this long. */
  leaderTimeoutMs: 5_000,
  /** Gossipsub heartbeat and chain polling of the daemons. */
  heartbeatMs: 250,
  pollIntervalMs: 250,
  /** Image id of the development enclave every executor runs (its PCRs derive from it). */
  enclaveImageId: "opg-dev-enclave",
} as const;

/** The config keys every daemon of the devnet gets (as flags natively, as env in compose). */
export const DEVNET_DAEMON_KEYS = [
  "keystore.passwordFile",
  "http.host",
  "http.port",
  "chain.rpcUrl",
  "chain.pollIntervalMs",
  "p2p.listen",
  "p2p.peers",
  "p2p.heartbeatMs",
  "log.format",
] as const;

/** Extra keys of the verifiers. */
export const DEVNET_VERIFIER_KEYS = [
  "batching.maxBatchAgeMs",
  "batching.leaderTimeoutMs",
  "tee.enabled",
  "tee.devRootPem",
  "zk.enabled",
] as const;

/** Extra keys of the executors (they deliver their own on-chain results). */
export const DEVNET_EXECUTOR_KEYS = [
  "tee.enabled",
  "tee.devRootDir",
  "tee.imageId",
  "zk.enabled",
  "delivery.verifierUrls",
  "delivery.zk",
] as const;

/** Service names, as in docker/compose.yml. */
export function serviceNames(): string[] {
  return [
    "chain",
    "deployer",
    ...Array.from({ length: DEVNET.executors }, (_, i) => `exec-${i}`),
    ...Array.from({ length: DEVNET.verifiers }, (_, i) => `verify-${i}`),
  ];
}
