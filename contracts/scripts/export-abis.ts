/**
 * Compiles the contracts and writes generated/abis/*.ts and generated/bytecode/*.ts.
 *
 *   pnpm --filter @opg/contracts export-abis          # write
 *   pnpm --filter @opg/contracts export-abis --check  # exit 1 if the committed files are stale
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { GENERATED_DIR, renderGeneratedFiles } from "./generatedFiles.js";
import { getBuiltHre } from "./hre.js";

const check = process.argv.includes("--check");
const hre = await getBuiltHre();
const files = await renderGeneratedFiles(hre);

if (check) {
  const stale: string[] = [];
  for (const [file, content] of files) {
    const current = await readFile(file, "utf8").catch(() => undefined);
    if (current !== content) stale.push(path.relative(GENERATED_DIR, file));
  }
  if (stale.length > 0) {
    console.error(
      `generated files are stale: ${stale.join(", ")}; run pnpm --filter @opg/contracts export-abis`,
    );
    process.exit(1);
  }
  console.log("generated files are up to date");
} else {
  await rm(path.join(GENERATED_DIR, "abis"), { recursive: true, force: true });
  await rm(path.join(GENERATED_DIR, "bytecode"), { recursive: true, force: true });
  for (const [file, content] of files) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  console.log(`wrote ${files.size} files under ${path.relative(process.cwd(), GENERATED_DIR) || "."}`);
}
