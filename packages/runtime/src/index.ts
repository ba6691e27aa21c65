export type { SenderHealthSource } from "./chainMetrics.js";
export { ChainMetrics } from "./chainMetrics.js";
export type { CommonConfig } from "./commonConfig.js";
export {
  chainConfig,
  commonConfig,
  httpConfig,
  keystoreConfig,
  logConfig,
  p2pConfig,
} from "./commonConfig.js";
export type { DaemonCliSpec, RunningDaemon } from "./daemonCli.js";
export { daemonCli, loadDaemonConfig, runCliAction } from "./daemonCli.js";
export type { NodeSigner } from "./NodeRuntime.js";
export { dataPath, loadConfiguredDeployment, loadSigner, NodeRuntime } from "./NodeRuntime.js";
