export { DaemonProcess, daemonCliPath } from "./DaemonProcess.js";
export { deployBytecode } from "./deployBytecode.js";
export type { LocalNetwork, LocalNetworkOptions } from "./deployLocalNetwork.js";
export { deployLocalNetwork } from "./deployLocalNetwork.js";
export { DEV_MNEMONIC, devPrivateKey } from "./devAccounts.js";
export { freePort } from "./freePort.js";
export type { HardhatNodeOptions } from "./HardhatNode.js";
export { CONTRACTS_DIR, HardhatNode } from "./HardhatNode.js";
export type { LoadedModulesOptions } from "./loadedModules.js";
export { loadedModules, loadedOnlyBy } from "./loadedModules.js";
export { prepareNodeDir, TEST_PASSWORD } from "./nodeDirs.js";
export {
  addModel,
  buildModel,
  ELEM,
  identityModel,
  matmulModel,
  mixedModel,
  symbolicKModel,
  transposeModel,
} from "./onnxModels.js";
export { TcpProxy } from "./TcpProxy.js";
export type { WaitForOptions } from "./waitFor.js";
export { Until, waitFor } from "./waitFor.js";
