/**
 * The MNIST part of `pnpm bench:zk`: mnist-mlp (784-56-10) and mnist-cnn (LeNet-5 style), both
 * trained by scripts/train-mnist.ts and committed under models/. For each: constraints (circom's
 * count, with the compiler's per-layer report), agreement of the proven class with onnxruntime's
 * float class on the 2,000 held-out test digits (and both accuracies), setup time, proving p50 with
 * the opg engine beside snarkjs.groth16.prove in the same run; for the CNN also the peak RSS of a
 * fresh proving process and the on-chain gas of PoseidonGroth16Adapter.verifyResult. EZKL's
 * WebAssembly build is probed for the functions an ONNX → proof run needs.
 */
import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import * as snarkjs from "snarkjs";
import { mnistSplit } from "../scripts/mnistData.js";
import {
  buildArtifacts,
  compileModel,
  constraintReport,
  formatConstraintReport,
  generateDevPtau,
  runQuantized,
  toSnarkjsProof,
  type ZkArtifacts,
  type ZkProveResult,
  type ZkProver,
} from "../src/index.js";
import { measureAdapterGas } from "./onchainVerifyGas.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

/** The fixed-point scale both MNIST models are compiled with (agreement ≥ 0.995 at 2^6 already; 2^8 for margin). */
export const MNIST_SCALE_BITS = 8;
/** The smallest development ceremony the benchmark uses (its 10k MLP already needs 2^14). */
const MIN_PTAU_POWER = 14;

type ProveMany = (
  prover: ZkProver,
  baseline: ZkProver,
  artifacts: ZkArtifacts,
  n: number,
  input: (i: number) => Parameters<ZkProver["prove"]>[1],
) => Promise<{
  proofs: ZkProveResult[];
  proveMs: number[];
  e2eMs: number[];
  baselineMs: number[];
  witnessMs: number[];
}>;

export type MnistBenchContext = {
  results: Record<string, number | string | boolean>;
  log: (msg: string) => void;
  cache: string;
  prover: ZkProver;
  baseline: ZkProver;
  proveMany: ProveMany;
  quantile: (v: number[], q: number) => number;
  executor: `0x${string}`;
  /** Persist the figures so far (a long run keeps what it measured). */
  flush: () => Promise<void>;
};

function argmax(v: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Peak RSS (MB) of a fresh process that proves `n` digits with these artifacts. */
async function proveRss(dir: string, n: number): Promise<{ maxRssMb: number; proveMs: number[] }> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, join(PKG, "bench", "proveRss.ts"), dir, String(n)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let s = "";
    child.stdout.on("data", (d: Buffer) => {
      s += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(s) : reject(new Error(`proveRss exited ${code}`))));
  });
  return JSON.parse(out.trim().split("\n").pop()!) as { maxRssMb: number; proveMs: number[] };
}

/** Why EZKL's npm build (@ezkljs/engine) cannot prove an ONNX file here, or undefined if it could. */
function ezklStatus(): string {
  let engine: Record<string, unknown>;
  try {
    engine = require("@ezkljs/engine/nodejs/ezkl.js") as Record<string, unknown>;
  } catch {
    return "@ezkljs/engine is not installed (npm i @ezkljs/engine to probe it)";
  }
  const needed = ["genSettings", "compileCircuit", "genSrs"];
  const missing = needed.filter((f) => typeof engine[f] !== "function");
  return missing.length > 0
    ? `@ezkljs/engine exports genWitness/genPk/genVk/prove/verify over an already compiled circuit, settings and SRS only; ${missing.join(", ")} (ONNX → circuit, calibration, SRS) exist only in the ezkl CLI / Python package, not on npm`
    : "";
}

export async function benchMnist(ctx: MnistBenchContext): Promise<void> {
  const { results, log, quantile } = ctx;
  const round = (v: number, d = 1) => Number(v.toFixed(d));
  const { test } = mnistSplit();
  for (const name of ["mlp", "cnn"] as const) {
    const tag = `mnist_${name}`;
    const bytes = new Uint8Array(await readFile(join(PKG, "models", `mnist-${name}.onnx`)));
    const compiled = await compileModel(bytes, { scaleBits: MNIST_SCALE_BITS });
    const report = constraintReport(compiled.spec);
    log(
      `mnist-${name} (scale 2^${MNIST_SCALE_BITS}), constraints per layer:\n${formatConstraintReport(report)}`,
    );
    results[`constraint_report_${tag}`] = report.rows
      .filter((r) => r.constraints > 0)
      .map((r) => `${r.node || r.op}:${r.constraints}`)
      .join(" ");

    // Agreement on the held-out digits: the proven class is the fixed-point executor's (bit for bit the circuit's).
    const dims = name === "mlp" ? [1, 784] : [1, 1, 28, 28];
    const session = await ort.InferenceSession.create(bytes);
    let agree = 0;
    let floatOk = 0;
    let fixedOk = 0;
    for (const d of test) {
      const out = (await session.run({ pixels: new ort.Tensor("uint8", d.pixels, dims) }))["logits"]!
        .data as Float32Array;
      const fixed = argmax(runQuantized(compiled.spec, Array.from(d.pixels, BigInt)).output);
      if (fixed === argmax(out)) agree++;
      if (argmax(out) === d.label) floatOk++;
      if (fixed === d.label) fixedOk++;
    }
    await session.release();
    results[`agreement_${tag}`] = round(agree / test.length, 4);
    results[`accuracy_float_${tag}`] = round(floatOk / test.length, 4);
    results[`accuracy_fixed_${tag}`] = round(fixedOk / test.length, 4);
    results[`test_images_${tag}`] = test.length;
    log(
      `mnist-${name}: agreement ${agree}/${test.length}, accuracy float ${floatOk / test.length}, fixed ${fixedOk / test.length}`,
    );
    results[`constraints_${tag}_report`] = report.total;
    await ctx.flush();

    // The ceremony the circuit needs (domain ≥ constraints + public signals + 1): mlp 2^14, cnn 2^16.
    const power = Math.max(MIN_PTAU_POWER, Math.ceil(Math.log2(report.total + 5)));
    results[`ceremony_power_${tag}`] = power;
    const ptau = join(ctx.cache, "ptau", `opg-dev-${power}.ptau`);
    if (!(await exists(ptau))) {
      if (process.env["OPG_ZK_BENCH_NO_CEREMONY"]) {
        results[`prove_${tag}_skipped`] =
          `no 2^${power} ceremony in ${join(ctx.cache, "ptau")} (OPG_ZK_BENCH_NO_CEREMONY)`;
        log(`mnist-${name}: ${results[`prove_${tag}_skipped`]}; setup and proving skipped`);
        await ctx.flush();
        continue;
      }
      log(`generating the 2^${power} development ceremony into ${ptau} (once; 2^16 ≈ 20 min of one core)…`);
      const t0 = performance.now();
      await generateDevPtau(power, ptau);
      results[`ceremony_s_2p${power}`] = round((performance.now() - t0) / 1000);
    }
    const artifactsDir = join(ctx.cache, "artifacts");
    const fresh = !(await exists(join(artifactsDir, compiled.artifactKey, "manifest.json")));
    const t0 = performance.now();
    const artifacts = await buildArtifacts(compiled, { cacheDir: artifactsDir, ptauPath: ptau, onLog: log });
    results[`setup_s_${tag}`] = fresh
      ? round((performance.now() - t0) / 1000, 1)
      : artifacts.manifest.setupSeconds;
    results[`constraints_${tag}`] = artifacts.manifest.constraints;
    results[`constraints_${tag}_report`] = report.total;
    results[`parameters_${tag}`] = compiled.weights.length;

    const input = (i: number) => ({
      pixels: { dtype: "uint8" as const, dims, data: test[i % test.length]!.pixels },
    });
    const runs = name === "mlp" ? 10 : 5;
    const r = await ctx.proveMany(ctx.prover, ctx.baseline, artifacts, runs, input);
    results[`prove_ms_p50_${tag}`] = round(quantile(r.proveMs, 0.5));
    results[`prove_ms_p90_${tag}`] = round(quantile(r.proveMs, 0.9));
    results[`witness_ms_p50_${tag}`] = round(quantile(r.witnessMs, 0.5));
    results[`prove_ms_p50_${tag}_snarkjs`] = round(quantile(r.baselineMs, 0.5));
    // Sanity: snarkjs' own verifier accepts the opg engine's proof.
    const p0 = r.proofs[0]!;
    if (
      !(await snarkjs.groth16.verify(artifacts.vkey, p0.publicSignals.map(String), toSnarkjsProof(p0.points)))
    ) {
      throw new Error(`snarkjs rejected a mnist-${name} proof`);
    }
    await ctx.flush();
    log(
      `mnist-${name}: ${artifacts.manifest.constraints} constraints, setup ${results[`setup_s_${tag}`]} s, prove p50 ${results[`prove_ms_p50_${tag}`]} ms (snarkjs.groth16.prove same run: ${results[`prove_ms_p50_${tag}_snarkjs`]} ms)`,
    );

    if (name === "cnn") {
      const rss = await proveRss(artifacts.dir, 2);
      results[`prove_peak_rss_mb_${tag}`] = rss.maxRssMb;
      log(`mnist-cnn: peak RSS of a fresh proving process ${rss.maxRssMb} MB`);
      try {
        const gas = await measureAdapterGas(artifacts, input(0), p0, ctx.executor);
        if (!gas.accepted) throw new Error("the adapter rejected a valid proof");
        results[`onchain_verify_gas_${tag}`] = gas.executionGas;
        results[`onchain_verify_gas_${tag}_tx`] = gas.gasUsed;
        log(
          `mnist-cnn: PoseidonGroth16Adapter.verifyResult ${gas.executionGas} gas execution (${gas.gasUsed} as a tx)`,
        );
      } catch (e) {
        results[`onchain_verify_gas_${tag}`] = -1;
        results[`onchain_verify_gas_${tag}_error`] = String(e instanceof Error ? e.message : e).slice(0, 200);
      }
    }
  }
  // Published anchors (ZKML-Benchmark, circom + circomlib-ml, Groth16).
  results["constraints_mnist_mlp_anchor"] = 73_416;
  results["constraints_mnist_cnn_anchor"] = 2_560_000;
  const ezkl = ezklStatus();
  results["ezkl_mnist"] = ezkl || "available";
  log(`EZKL (@ezkljs/engine): ${ezkl || "available"}`);

  // Targets, only for what was measured (circom's count after a setup, else the compiler's: equal, tested).
  const fig = (k: string) =>
    typeof results[k] === "number" && (results[k] as number) >= 0 ? (results[k] as number) : undefined;
  const target = (name: string, value: number | undefined, ok: (v: number) => boolean) => {
    if (value !== undefined) results[name] = ok(value);
  };
  for (const m of ["mlp", "cnn"]) {
    results[`constraints_mnist_${m}`] ??= results[`constraints_mnist_${m}_report`]!;
  }
  target("target_constraints_mnist_mlp_le_20000", fig("constraints_mnist_mlp"), (v) => v <= 20_000);
  target("target_prove_mnist_mlp_le_1500ms", fig("prove_ms_p50_mnist_mlp"), (v) => v <= 1500);
  target("target_constraints_mnist_cnn_le_65536", fig("constraints_mnist_cnn"), (v) => v <= 65_536);
  target("target_prove_mnist_cnn_le_5000ms", fig("prove_ms_p50_mnist_cnn"), (v) => v <= 5000);
  target("target_rss_mnist_cnn_le_4096mb", fig("prove_peak_rss_mb_mnist_cnn"), (v) => v <= 4096);
  target("target_agreement_mnist_mlp_ge_0995", fig("agreement_mnist_mlp"), (v) => v >= 0.995);
  target("target_agreement_mnist_cnn_ge_0995", fig("agreement_mnist_cnn"), (v) => v >= 0.995);
  target(
    "target_onchain_verify_gas_mnist_cnn_le_300000",
    fig("onchain_verify_gas_mnist_cnn"),
    (v) => v <= 300_000,
  );
}
