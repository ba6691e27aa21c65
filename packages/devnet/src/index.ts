export type { ComposeDevnetOptions, ComposeSummary } from "./ComposeDevnet.js";
export { ComposeDevnet, composeCommand } from "./ComposeDevnet.js";
export type { DevnetModel, DevnetNode, DevnetOptions } from "./Devnet.js";
export { Devnet } from "./Devnet.js";
export type { DemoNetwork, DemoRow } from "./demo.js";
export { demoTable, runDemo } from "./demo.js";
export { deployDevnet } from "./deployDevnet.js";
export type { MetricsReferenceRow } from "./metricsReference.js";
export { metricsReference, metricsReferenceRows } from "./metricsReference.js";
export type { DevnetModelSetup, DevnetZkSetup } from "./modelSetups.js";
export { devnetModelSetups } from "./modelSetups.js";
export { devnetModels } from "./models.js";
export type { ZkKeyToSeal } from "./sealZkKeys.js";
export { sealDevnetZkKeys, sealZkKeys } from "./sealZkKeys.js";
export { formatTable, short } from "./table.js";
export {
  DEVNET,
  DEVNET_DAEMON_KEYS,
  DEVNET_EXECUTOR_KEYS,
  DEVNET_VERIFIER_KEYS,
  serviceNames,
} from "./topology.js";
export type { DevnetZkCeremonyOptions } from "./zkCeremony.js";
export { runDevnetZkCeremony } from "./zkCeremony.js";
export { deployZkVerifiers } from "./zkModels.js";
