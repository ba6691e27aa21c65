/**
 * Runs the Solidity tests (test/solidity/*.t.sol: fuzz and invariant tests on Hardhat's EDR runner) from
 * vitest, so that `vitest run --project unit contracts/` covers them too. Same as `pnpm --filter
 * @opg/contracts test:sol`.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CONTRACTS_ROOT, getBuiltHre, withBuildLock } from "../scripts/hre.js";

const run = promisify(execFile);
const hardhatCli = path.join(
  path.dirname(createRequire(import.meta.url).resolve("hardhat/package.json")),
  "dist",
  "src",
  "cli.js",
);

describe("Solidity tests", () => {
  it("default: `hardhat test solidity` passes (fuzz: quorum, replay, single delivery; invariant: escrow)", async () => {
    await getBuiltHre();
    const { stdout } = await withBuildLock(() =>
      run(process.execPath, [hardhatCli, "test", "solidity", "--no-compile"], {
        cwd: CONTRACTS_ROOT,
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(
          `hardhat test solidity failed:\n${error.stdout ?? ""}\n${error.stderr ?? error.message}`,
        );
      }),
    );
    expect(stdout).toMatch(/\d+ passing/);
    expect(stdout).not.toMatch(/\d+ failing/);
  }, 300_000);
});
