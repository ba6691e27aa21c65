export { chainTxMetricDefs, chainWatcherMetricDefs, feesMetricDefs } from "./chainMetricDefs.js";
export type { SenderHealthSource } from "./chainMetrics.js";
export { ChainMetrics } from "./chainMetrics.js";
export type { CliContext } from "./cliAction.js";
export { cliMessage, runCliAction } from "./cliAction.js";
export type { CommonConfig } from "./commonConfig.js";
export {
  chainConfig,
  commonConfig,
  DEVNET_CHAIN_ID,
  httpConfig,
  isDevnetChain,
  keystoreConfig,
  logConfig,
  p2pConfig,
} from "./commonConfig.js";
export type { GlobalOpts } from "./configFile.js";
export { configFilePath, loadWithFlags } from "./configFile.js";
export type { DaemonCliSpec, RunningDaemon } from "./daemonCli.js";
export { daemonCli, loadDaemonConfig } from "./daemonCli.js";
export { FeesGauge } from "./FeesGauge.js";
export type { CeremonyRoutesDeps } from "./http/ceremonyRoutes.js";
export { CEREMONIES_DIR, ceremonyDirOf, mountCeremonyRoutes } from "./http/ceremonyRoutes.js";
export type { NodeSigner } from "./NodeRuntime.js";
export { dataPath, loadConfiguredDeployment, loadSigner, NodeRuntime } from "./NodeRuntime.js";
export type { OperatorHealthDeps, OperatorHealthOptions } from "./OperatorHealth.js";
export { DEFAULT_MIN_SIGNER_BALANCE, eth, OperatorHealth } from "./OperatorHealth.js";
export type { RegisterOutcome } from "./registerOperator.js";
export { registerOperator, trimEth } from "./registerOperator.js";
