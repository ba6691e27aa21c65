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
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import * as snarkjs from "snarkjs";
import { mnistSplit } from "../scripts/mnistData.js";
import {
  COMMIT_BLOCK,
  PACK_BYTES,
  runQuantized,
  toSnarkjsProof,
  type ZkArtifacts,
  type ZkProveResult,
  type ZkProver,
} from "../src/index.js";
import {
  buildArtifacts,
  compileModel,
  constraintReport,
  encodeVerifyProofCall,
  formatConstraintReport,
  generateDevPtau,
  hasherWidths,
  verifierSolidity,
} from "../src/toolchain.js";
import { measureAdapterGas, measureHasherGas, measureOnchainVerifyGas } from "./onchainVerifyGas.js";

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

/** GNU time (Linux): its peak RSS of a child covers the child's own children (circom) too. */
const GNU_TIME = "/usr/bin/time";

/**
 * Runs a bench script in a fresh Node process (under GNU time when present) and returns its last
 * stdout line parsed, with `treeMaxRssMb`: GNU time's peak over the process and its children.
 */
async function runChild<T>(script: string, args: string[]): Promise<T & { treeMaxRssMb?: number }> {
  const node = [process.execPath, ...process.execArgv, join(PKG, "bench", script), ...args];
  const timed = existsSync(GNU_TIME);
  const [cmd, ...argv] = timed ? [GNU_TIME, "-f", "opg-maxrss-kb=%M", ...node] : node;
  const { out, err } = await new Promise<{ out: string; err: string }>((resolve, reject) => {
    const child = spawn(cmd!, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      const s = d.toString();
      err += s;
      process.stderr.write(s.replace(/^opg-maxrss-kb=.*$/m, ""));
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve({ out, err }) : reject(new Error(`${script} exited ${code}: ${err.slice(-500)}`)),
    );
  });
  const parsed = JSON.parse(out.trim().split("\n").pop()!) as T & { treeMaxRssMb?: number };
  const kb = /opg-maxrss-kb=(\d+)/.exec(err)?.[1];
  if (kb) parsed.treeMaxRssMb = Math.round(Number(kb) / 1024);
  return parsed;
}

/** Peak RSS (MB) of a fresh process that proves `n` digits with these artifacts. */
function proveRss(dir: string, n: number) {
  return runChild<{ maxRssMb: number; proveMs: number[] }>("proveRss.ts", [dir, String(n)]);
}

/**
 * The smallest cached development ceremony `opg-dev-<n>.ptau` with n ≥ `power` (a larger ceremony
 * serves a smaller circuit: phase 2 reads only the circuit's domain), or undefined.
 */
async function cachedPtau(dir: string, power: number): Promise<{ path: string; power: number } | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = names
    .map((n) => /^opg-dev-(\d+)\.ptau$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) >= power)
    .map((m) => ({ path: join(dir, m[0]), power: Number(m[1]) }))
    .sort((a, b) => a.power - b.power);
  return found[0];
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

/** Agreement of the proven class (the fixed-point executor's, bit for bit the circuit's) with onnxruntime's float class. */
async function agreement(
  name: string,
  bytes: Uint8Array,
  compiled: Awaited<ReturnType<typeof compileModel>>,
  dims: number[],
  test: ReturnType<typeof mnistSplit>["test"],
  results: MnistBenchContext["results"],
  log: (msg: string) => void,
): Promise<void> {
  const tag = `mnist_${name}`;
  const round = (v: number) => Number(v.toFixed(4));
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
  results[`agreement_${tag}`] = round(agree / test.length);
  results[`accuracy_float_${tag}`] = round(floatOk / test.length);
  results[`accuracy_fixed_${tag}`] = round(fixedOk / test.length);
  results[`test_images_${tag}`] = test.length;
  log(
    `mnist-${name}: agreement ${agree}/${test.length}, accuracy float ${floatOk / test.length}, fixed ${fixedOk / test.length}`,
  );
}

export async function benchMnist(ctx: MnistBenchContext): Promise<void> {
  const { results, log, quantile } = ctx;
  const round = (v: number, d = 1) => Number(v.toFixed(d));
  const { test } = mnistSplit();
  // OPG_ZK_BENCH_MNIST_MODELS=cnn (or "cnn,mlp"): only these models, in this order; the others' figures stay.
  const models = (process.env["OPG_ZK_BENCH_MNIST_MODELS"] ?? "mlp,cnn")
    .split(",")
    .map((m) => m.trim())
    .filter((m): m is "mlp" | "cnn" => m === "mlp" || m === "cnn");
  for (const name of models) {
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
    if (process.env["OPG_ZK_BENCH_KEEP_AGREEMENT"] && typeof results[`agreement_${tag}`] === "number") {
      // Deterministic (fixed models, split and executor): an earlier run's figures are kept.
      log(
        `mnist-${name}: agreement ${results[`agreement_${tag}`]} kept from ${results["timestamp_agreement"] ?? "an earlier run"} (OPG_ZK_BENCH_KEEP_AGREEMENT)`,
      );
    } else {
      await agreement(name, bytes, compiled, dims, test, results, log);
      results["timestamp_agreement"] = new Date().toISOString();
    }
    results[`constraints_${tag}_report`] = report.total;
    await ctx.flush();

    // The ceremony the circuit needs (domain ≥ constraints + public signals + 1): mlp 2^14, cnn 2^16.
    const power = Math.max(MIN_PTAU_POWER, Math.ceil(Math.log2(report.total + 5)));
    results[`ceremony_power_${tag}`] = power;
    const cached = await cachedPtau(join(ctx.cache, "ptau"), power);
    const ptau = cached?.path ?? join(ctx.cache, "ptau", `opg-dev-${power}.ptau`);
    if (cached === undefined) {
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
    delete results[`prove_${tag}_skipped`];
    results[`ceremony_file_${tag}`] = ptau.replace(/^.*\//, "");
    const artifactsDir = join(ctx.cache, "artifacts");
    const manifestPath = join(artifactsDir, compiled.artifactKey, "manifest.json");
    const built = await readFile(manifestPath, "utf8").then(
      (t) => JSON.parse(t) as { ptau?: { file?: string } },
      () => undefined,
    );
    const fresh = built?.ptau?.file !== ptau.replace(/^.*\//, "");
    if (fresh) {
      // The setup in a fresh process (its peak memory alone, circom's included under GNU time).
      log(`mnist-${name}: Groth16 setup (circom + phase 2 from ${ptau}) in a fresh process…`);
      const s = await runChild<{ setupSeconds: number; maxRssMb: number }>("setupRss.ts", [
        join(PKG, "models", `mnist-${name}.onnx`),
        String(MNIST_SCALE_BITS),
        ptau,
        artifactsDir,
      ]);
      results[`setup_s_${tag}`] = round(s.setupSeconds, 1);
      results[`setup_peak_rss_mb_${tag}`] = s.treeMaxRssMb ?? s.maxRssMb;
      results[`setup_peak_rss_mb_${tag}_node`] = s.maxRssMb;
      log(
        `mnist-${name}: setup ${results[`setup_s_${tag}`]} s, peak RSS ${results[`setup_peak_rss_mb_${tag}`]} MB (node process alone ${s.maxRssMb} MB)`,
      );
    }
    const artifacts = await buildArtifacts(compiled, { cacheDir: artifactsDir, ptauPath: ptau, onLog: log });
    if (!fresh) results[`setup_s_${tag}`] = artifacts.manifest.setupSeconds;
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
      results[`prove_peak_rss_mb_${tag}`] = rss.treeMaxRssMb ?? rss.maxRssMb;
      log(`mnist-cnn: peak RSS of a fresh proving process ${results[`prove_peak_rss_mb_${tag}`]} MB`);
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
      // Where the adapter's gas goes: the Groth16 verifier alone (pairings + the 4 public inputs'
      // MSM, as its own tx) and one call of each Poseidon hasher the two commitments run.
      try {
        const g16 = await measureOnchainVerifyGas(
          await verifierSolidity(artifacts),
          encodeVerifyProofCall(p0.points, p0.publicSignals),
        );
        results[`onchain_groth16_verify_gas_${tag}_execution`] = g16.gasUsed - 21_000;
        const { spec } = artifacts;
        const inputElems =
          spec.input.kind === "uint8" ? Math.ceil(spec.input.size / PACK_BYTES) : spec.input.size;
        // Also the narrow widths, for the cheapest gas per element a different block size would give.
        const hashers = await measureHasherGas([
          ...new Set([1, 2, 3, 4, ...hasherWidths(inputElems, spec.output.size)]),
        ]);
        for (const [n, g] of Object.entries(hashers)) results[`onchain_poseidon_gas_${n}_inputs`] = g;
        const blocks = (n: number) =>
          Array.from({ length: Math.ceil(n / COMMIT_BLOCK) }, (_, k) =>
            Math.min(COMMIT_BLOCK, n - k * COMMIT_BLOCK),
          );
        const poseidon = (n: number) => blocks(n).reduce((sum, w) => sum + (hashers[w] ?? 0) - 21_000, 0);
        results[`onchain_poseidon_gas_${tag}_input`] = poseidon(inputElems);
        results[`onchain_poseidon_gas_${tag}_output`] = poseidon(spec.output.size);
        results[`onchain_other_gas_${tag}`] =
          (results[`onchain_verify_gas_${tag}`] as number) -
          (results[`onchain_groth16_verify_gas_${tag}_execution`] as number) -
          (results[`onchain_poseidon_gas_${tag}_input`] as number) -
          (results[`onchain_poseidon_gas_${tag}_output`] as number);
        log(
          `mnist-cnn gas breakdown (execution): Groth16 verifier ${results[`onchain_groth16_verify_gas_${tag}_execution`]}, Poseidon of the input (${inputElems} packed elements, blocks ${blocks(inputElems).join("+")}) ${results[`onchain_poseidon_gas_${tag}_input`]}, of the output ${results[`onchain_poseidon_gas_${tag}_output`]}, the rest (tensor parsing, quantization, calls) ${results[`onchain_other_gas_${tag}`]}`,
        );
      } catch (e) {
        log(`mnist-cnn gas breakdown skipped: ${String(e instanceof Error ? e.message : e).slice(0, 200)}`);
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
