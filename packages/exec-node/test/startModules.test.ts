/**
 * The daemon's start path (`opg-exec start`: the CLI's modules, then ExecNode) loads @opg/zk's
 * runtime (prover, verifier, artifacts) and none of its toolchain (compiler, circom, setup,
 * ceremony steps, Solidity codegen), which only the CLI's ZK model commands import, when they run.
 */
import { fileURLToPath } from "node:url";
import { loadedModules, loadedOnlyBy } from "@opg/testkit";
import { describe, expect, it } from "vitest";

const PKG = fileURLToPath(new URL("..", import.meta.url));
/** Packages only the toolchain uses (circom2 and solc it loads when it runs them). */
const TOOLCHAIN_PACKAGES = /\/node_modules\/(circom2|circomlib|solc|onnx-proto)\//;

describe("opg-exec start path", () => {
  it("behavior: loads @opg/zk's runtime, not its toolchain", async () => {
    const [toolchainOnly, cli, daemon] = await Promise.all([
      loadedOnlyBy("@opg/zk/toolchain", "@opg/zk", { cwd: PKG }),
      loadedModules(`${PKG}src/cli.ts`, { cwd: PKG, args: ["--help"] }),
      loadedModules(`${PKG}src/ExecNode.ts`, { cwd: PKG }),
    ]);
    // @opg/zk's own modules that only the toolchain entry loads (its dependencies' are shared, e.g. viem's).
    const zkToolchain = new Set([...toolchainOnly].filter((f) => f.includes("/packages/zk/src/")));
    expect([...zkToolchain].some((f) => f.endsWith("/zk/src/compiler/compileModel.ts"))).toBe(true);
    expect([...daemon].some((f) => f.endsWith("/zk/src/verifier/ZkVerifier.ts"))).toBe(true);
    const loaded = [...cli, ...daemon];
    expect(loaded.filter((f) => zkToolchain.has(f) || TOOLCHAIN_PACKAGES.test(f))).toEqual([]);
  }, 300_000);
});
