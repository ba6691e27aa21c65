/**
 * Builds the example zk artifacts, the test fixture of the example model (models/iris-mlp.onnx,
 * constant weights, scale 2^16, 40-bit values), into fixtures/artifacts/<artifactKey>/ from the
 * committed development ceremony circuits/ptau/opg-dev-11.ptau. The compile is deterministic
 * (test/exampleFixture.test.ts rebuilds the circuit and r1cs and compares them byte for byte); the
 * Groth16 setup is not: `--force` makes a new key.
 *
 *   pnpm --filter @opg/zk build:example [--force]
 */
import { readFile } from "node:fs/promises";
import { compileModel } from "../src/compiler/compileModel.js";
import { buildArtifacts } from "../src/pipeline/buildArtifacts.js";
import { EXAMPLE_ARTIFACTS_DIR, EXAMPLE_ONNX_PATH } from "../src/pipeline/paths.js";

const compiled = await compileModel(await readFile(EXAMPLE_ONNX_PATH));
const artifacts = await buildArtifacts(compiled, {
  cacheDir: EXAMPLE_ARTIFACTS_DIR,
  force: process.argv.includes("--force"),
  onLog: (l) => console.log(l),
});
console.log(
  `${artifacts.dir}: ${artifacts.manifest.constraints} constraints, weights commitment ${artifacts.manifest.weightsCommitment}`,
);
process.exit(0);
