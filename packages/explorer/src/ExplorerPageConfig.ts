/**
 * What the explorer page is told by the daemon serving it (`GET /explorer/config.json`): where the
 * chain and the contracts are, and which daemons' public HTTP APIs to read. The page trusts none of
 * it for a verdict: every check it reports is made against the chain from the browser.
 */
export type ExplorerPageConfig = {
  chainId: number;
  /** JSON-RPC endpoint as a browser reaches it (must answer CORS requests from the page). */
  rpcUrl: string;
  hub: `0x${string}`;
  operatorRegistry: `0x${string}`;
  modelRegistry: `0x${string}`;
  /**
   * Publishers whose model listings the page trusts, first match first (the daemon's
   * `chain.publishers`, then the deployment's deployer): a model's modes, weights commitment and
   * sealed verification key are read from the first of them that lists it.
   */
  publishers: `0x${string}`[];
  /** Verifier HTTP APIs (`""`: the daemon serving the page). */
  verifyUrls: string[];
  /** Executor HTTP APIs, for the request form (`""`: the daemon serving the page). */
  execUrls: string[];
};
