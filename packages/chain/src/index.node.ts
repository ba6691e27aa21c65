/**
 * @opg/chain for Node (the `node` export condition): everything in the platform-agnostic entry
 * point, plus what needs the file system.
 */

export type { FileCheckpointStoreOptions } from "./checkpoint/FileCheckpointStore.js";
export { defaultFileCheckpointStoreOptions, FileCheckpointStore } from "./checkpoint/FileCheckpointStore.js";
export * from "./index.js";
