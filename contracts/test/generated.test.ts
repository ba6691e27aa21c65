import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXPORTED_CONTRACTS, GENERATED_DIR, renderGeneratedFiles } from "../scripts/generatedFiles.js";
import { getBuiltHre } from "../scripts/hre.js";
import * as contracts from "../src/index.js";

describe("generated ABI and bytecode modules", () => {
  it("default: the committed files match the current artifacts (run `pnpm --filter @opg/contracts export-abis`)", async () => {
    const files = await renderGeneratedFiles(await getBuiltHre());
    for (const [file, content] of files) {
      const current = await readFile(file, "utf8").catch(() => "<missing>");
      expect(current, path.relative(GENERATED_DIR, file)).toBe(content);
    }
  });

  it("default: the package entry point exports every ABI and deployable bytecode", async () => {
    const hre = await getBuiltHre();
    const exported = contracts as unknown as Record<string, unknown>;
    for (const { name, bytecode } of EXPORTED_CONTRACTS) {
      const id = /^I[A-Z]/.test(name) ? name.slice(1) : name;
      const base = id.charAt(0).toLowerCase() + id.slice(1);
      const artifact = await hre.artifacts.readArtifact(name);
      expect(exported[`${base}Abi`]).toEqual(artifact.abi);
      if (bytecode) expect(exported[`${base}Bytecode`]).toBe(artifact.bytecode);
    }
  });
});
