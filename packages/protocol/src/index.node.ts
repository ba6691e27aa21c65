/**
 * @opg/protocol for Node (the `node` export condition): everything in the platform-agnostic entry
 * point, with native keccak, secp256k1 and sha256 backends installed, plus the file helpers.
 */
import { installNativeBackends } from "./node/nativeBackends.js";

installNativeBackends();

export * from "./index.js";
export { modelIdFromFile } from "./node/modelIdFromFile.js";
