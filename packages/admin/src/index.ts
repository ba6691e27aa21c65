export type { AdminTarget } from "./network.js";
export {
  chainIdAt,
  connect,
  deployNetwork,
  setMinStakes,
  setVerifierSet,
  showStakes,
} from "./network.js";
export { fund, sendTestRequest } from "./requests.js";
