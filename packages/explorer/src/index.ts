/**
 * @opg/explorer: the explorer web page (bundled for browsers at build time) and how a daemon serves it.
 */
export { bundleExplorer, EXPLORER_FILES, EXPLORER_WEB_DIR } from "./bundleExplorer.js";
export type { ExplorerPageConfig } from "./ExplorerPageConfig.js";
export { loadExplorerAssets, mountExplorer } from "./mountExplorer.js";
