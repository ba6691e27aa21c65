import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** packages/zk (works from src/ and dist/). */
export const ZK_PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The example artifacts (`fixtures/artifacts/<artifactKey>/`, the Iris MLP, built from
 * {@link EXAMPLE_ONNX_PATH} by `pnpm --filter @opg/zk build:example`): test fixtures that the tests,
 * the benches and the devnets read. The daemons look here on a devnet (chain id 31337) only.
 */
export const EXAMPLE_ARTIFACTS_DIR = join(ZK_PACKAGE_DIR, "fixtures", "artifacts");

/** The example model (`models/iris-mlp.onnx`) that {@link EXAMPLE_ARTIFACTS_DIR} holds the artifacts of. */
export const EXAMPLE_ONNX_PATH = join(ZK_PACKAGE_DIR, "models", "iris-mlp.onnx");
