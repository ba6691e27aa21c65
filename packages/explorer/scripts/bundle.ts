/** `pnpm --filter @opg/explorer bundle`: bundles the explorer page into dist/web (see src/bundleExplorer.ts). */
import { bundleExplorer } from "../src/bundleExplorer.js";

const { outDir, bytes } = await bundleExplorer();
process.stdout.write(`explorer: bundled into ${outDir} (${Math.round(bytes / 1024)} KiB)\n`);
