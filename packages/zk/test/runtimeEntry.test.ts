/**
 * `@opg/zk` is the runtime the daemons load (artifacts, prover, verifier, quantization); the
 * compiler, circom, the Groth16 setup, the ceremony's steps and the Solidity code generation are
 * `@opg/zk/toolchain`'s. Checked on a fresh process: what importing each entry loads.
 */
import { fileURLToPath } from "node:url";
import { loadedModules } from "@opg/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const ZK = fileURLToPath(new URL("..", import.meta.url));
const src = (file: string) => `${ZK}src/${file}`;

/** The toolchain's own modules, and the packages only it uses (circom2 and solc it loads when it runs them). */
const TOOLCHAIN_FILES = [
  "toolchain.ts",
  "compiler/compileModel.ts",
  "compiler/lowerOnnxGraph.ts",
  "compiler/emitCircom.ts",
  "compiler/constraintReport.ts",
  "onnx/parseOnnxModel.ts",
  "onnx/writeOnnxModel.ts",
  "pipeline/buildArtifacts.ts",
  "pipeline/buildZkModel.ts",
  "pipeline/generateDevPtau.ts",
  "pipeline/runCircom.ts",
  "pipeline/toolPaths.ts",
  "ceremony/ceremony.ts",
  "proof/compileVerifier.ts",
  "proof/solidity.ts",
  "onchain/deployZkContracts.ts",
  "onchain/poseidonContract.ts",
].map(src);
const TOOLCHAIN_PACKAGES = ["circom2", "circomlib", "solc", "onnx-proto"];

/** Whether a loaded file belongs to this package (pnpm's layout: node_modules/.pnpm/<name>@<v>/node_modules/<name>/). */
const fromPackage = (file: string, name: string) => file.includes(`/node_modules/${name}/`);

let runtime: Set<string>;
let toolchain: Set<string>;

beforeAll(async () => {
  [runtime, toolchain] = await Promise.all([
    loadedModules("@opg/zk", { cwd: ZK }),
    loadedModules("@opg/zk/toolchain", { cwd: ZK }),
  ]);
}, 180_000);

describe("@opg/zk entries", () => {
  it("behavior: the runtime entry loads the prover, the verifier and artifact loading", () => {
    for (const file of ["prover/ZkProver.ts", "verifier/ZkVerifier.ts", "pipeline/ZkArtifactStore.ts"]) {
      expect(runtime.has(src(file)), file).toBe(true);
    }
  });

  it("behavior: the runtime entry loads no compiler, circom, setup, ceremony step or Solidity codegen module", () => {
    expect(TOOLCHAIN_FILES.filter((f) => runtime.has(f))).toEqual([]);
    const packages = TOOLCHAIN_PACKAGES.filter((name) => [...runtime].some((f) => fromPackage(f, name)));
    expect(packages).toEqual([]);
  });

  it("behavior: the toolchain entry loads those modules (the check above can see them)", () => {
    expect(TOOLCHAIN_FILES.filter((f) => !toolchain.has(f))).toEqual([]);
    expect([...toolchain].some((f) => fromPackage(f, "onnx-proto"))).toBe(true);
  });
});
