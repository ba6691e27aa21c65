/**
 * Builds the committed zk artifacts of the example model (models/iris-mlp.onnx, constant
 * weights, scale 2^16, 40-bit values) into models/artifacts/<artifactKey>/ from the
 * committed development ceremony circuits/ptau/opg-dev-11.ptau.
 *
 *   pnpm --filter @opg/zk build:example [--force]
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { compileModel } from "../src/compiler/compileModel.js";
import { buildArtifacts } from "../src/pipeline/buildArtifacts.js";

const modelsDir = fileURLToPath(new URL("../models/", import.meta.url));
const compiled = await compileModel(await readFile(`${modelsDir}iris-mlp.onnx`));
const artifacts = await buildArtifacts(compiled, {
  cacheDir: `${modelsDir}artifacts`,
  force: process.argv.includes("--force"),
  onLog: (l) => console.log(l),
});
console.log(
  `${artifacts.dir}: ${artifacts.manifest.constraints} constraints, weights commitment ${artifacts.manifest.weightsCommitment}`,
);
process.exit(0);
