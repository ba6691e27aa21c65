/**
 * pnpm bench:verify — the verifier's pipeline and settlement, measured on a real chain.
 *
 * 1. Verified results/s (mode NONE) through the whole validation pipeline (decode, duplicate,
 *    executor signature, registry checks, outputs hash, request binding, equivocation, proof check)
 *    and the durable store, counted and timed by the daemon's metrics: on one core (`verified_per_s_none`) next to the baseline of decode + 2
 *    signature recoveries for the same messages (`verified_to_baseline_1core`), and on two cores
 *    (`verified_per_s_none_2cores`, `verified_scaling_2cores`) with the daemon's check pool for two
 *    cores: one worker running decode, digests, both recoveries and the outputs hash, the event loop
 *    keeping the stateful steps and the store and checking what the worker has no room for, 64
 *    messages in flight (OPG_BENCH_CHECKS='{"workers":2}' measures another pool setting instead;
 *    OPG_BENCH_COMPARE_CHECKS='{"workers":2}' adds it as a fifth row taking turns). Beside
 *    them, the same baseline on two threads at once (`baseline_scaling_2cores`): how far this host
 *    scales that work from one core to two, the ceiling for the verifier's own scaling. Each
 *    verifier first streams 500 messages untimed (JIT and caches warm); then the four rows take
 *    turns, 1,000 messages at a time, so that the host's speed drifting during the run weighs on
 *    all alike, garbage collected between turns. The one-core row also prints its CPU per result
 *    beyond the baseline, part by part. (Until 2026-12 the 2-core row used one recovery-only
 *    worker and nothing was warmed beyond the registry cache; until 2026-12-02 the one-core row and
 *    its baseline ran one after the other; until 2026-12-03 the two-core row ran two workers, after
 *    the others, and the host's own scaling was not measured; until later that day the verifiers ran
 *    without the metrics the daemon always has.) Needs `pnpm build` first (the workers run
 *    @opg/protocol's dist).
 * 2. Settlement gas per result from real receipts, 3 verifiers (f = 1), batches of 16/256/1024.
 * (Request-to-settled latency on the devnet is measured by packages/devnet/bench/latency.bench.ts,
 * which adds its figures to the same file.)
 *
 * Prints a table and writes bench-results/verify.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { inferenceHubAbi, modeMask } from "@opg/contracts";
import { Metrics } from "@opg/daemon";
import { decodeResultMessage, inferenceRequestDigest, type OpgDomain, ProofMode } from "@opg/protocol";
import { deployLocalNetwork, HardhatNode, waitFor } from "@opg/testkit";
import { keccak256, toHex } from "viem";
import { type CheckPoolOptions, checkPoolOptions } from "../src/pipeline/CheckPool.js";
import { outputsCheck } from "../src/pipeline/resultChecks.js";
import { peekResultHash } from "../src/pipeline/resultHeader.js";
import type { VerifierStore } from "../src/store/VerifierStore.js";
import { createVerifyMetrics } from "../src/verifyMetrics.js";
import { localVerifiers } from "../test/helpers/localVerifiers.js";
import { signedResult } from "../test/helpers/results.js";
import { baselineOf, startBaselineThreads } from "./baselineThreads.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MODEL = keccak256(toHex("opg/bench/model"));
const figures: Record<string, number> = {};

async function pipelineAndGas(): Promise<string[]> {
  const lines: string[] = [];
  const chain = await HardhatNode.start();
  try {
    const net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 2,
      f: 1,
      models: [{ modelId: MODEL, metadataURI: "bench", modes: modeMask(ProofMode.NONE), price: 0n }],
    });

    // 1. Throughput of one verifier's pipeline (its coordinator idle: nothing is due yet), on one
    //    core (every check inline, one message at a time) and on two (one check worker and the
    //    event loop, 64 messages in flight), beside the baseline of decode + two signature
    //    recoveries alone for the same messages, on one thread and on two.
    const N = 3_000;
    const WARM = 500;
    /** Messages per turn of each row (see below). */
    const ROUND = 1_000;
    const setup = async (checks: Partial<CheckPoolOptions>, inFlight: number, offset: number) => {
      const { cores } = localVerifiers(net, { maxBatchSize: 8192, maxBatchAgeMs: 3_600_000 }, () => true, {
        checks,
        count: 1,
        // The daemon's metrics, as it registers them: every step counted, a sample of them timed.
        metrics: () =>
          createVerifyMetrics(new Metrics({ labels: { daemon: "opg-verify" }, defaultMetrics: false })),
      });
      const core = cores[0]!;
      const messages = Array.from({ length: WARM + N + 1 }, (_, i) =>
        signedResult({
          domain: core.domain,
          requesterKey: net.requesterKeys[i % 3]!,
          executorKey: net.executorKeys[i % 2]!,
          modelId: MODEL,
          nonce: BigInt(offset + i),
        }),
      );
      // Warm the registry cache (one chain read per executor and model) and the workers, then the
      // code itself (WARM messages).
      await core.checks.whenReady();
      for (const m of messages.slice(0, 2)) core.intake.accept(await core.intake.validate(m.bytes));
      // `inFlight` lanes, each taking the next message when its last one is done (as gossip
      // arrives: a steady stream, not lock-stepped windows); the group of stored results is
      // committed inside the measure (its own cost, not the next measure's).
      const stream = async (list: typeof messages) => {
        let next = 0;
        const lane = async () => {
          while (next < list.length) {
            const m = list[next++]!;
            core.intake.accept(await core.intake.validate(m.bytes));
          }
        };
        await Promise.all(Array.from({ length: inFlight }, lane));
        core.store.commitGroup();
      };
      await stream(messages.slice(2, 2 + WARM));
      return { core, cores, stream, rest: messages.slice(2 + WARM), seconds: 0, cpu: 0 };
    };
    const one = await setup({}, 1, 0);
    // The daemon's default on two cores (OPG_BENCH_CHECKS: another check-pool setting, as JSON).
    const twoChecks: Partial<CheckPoolOptions> = process.env["OPG_BENCH_CHECKS"]
      ? JSON.parse(process.env["OPG_BENCH_CHECKS"])
      : checkPoolOptions(undefined, 2);
    const two = await setup(twoChecks, 64, 100_000);
    const twoLabel = twoChecks.shareEventLoop
      ? `${twoChecks.workers} check worker${twoChecks.workers === 1 ? "" : "s"} + the event loop`
      : `${twoChecks.workers} check workers`;
    // OPG_BENCH_COMPARE_CHECKS: another check-pool setting (JSON) taking turns with the two-core row,
    // on messages of its own, to compare the two at the same moments of the host's drift.
    const compareChecks = process.env["OPG_BENCH_COMPARE_CHECKS"];
    const other =
      compareChecks === undefined
        ? undefined
        : await setup(JSON.parse(compareChecks) as Partial<CheckPoolOptions>, 64, 200_000);
    baselineOf(one.core.domain, one.rest.slice(0, WARM));
    const baseThreads = await startBaselineThreads(one.core.domain, one.rest, 2, WARM);
    const base = { seconds: 0, cpu: 0 };
    const base2 = { seconds: 0 };
    const stats0 = { ...two.core.checks.workerStats };
    const threadCpu = () => {
      const c = process.threadCpuUsage();
      return c.user + c.system;
    };
    const timed = async (into: { seconds: number; cpu?: number }, fn: () => unknown) => {
      const c0 = threadCpu();
      const t0 = performance.now();
      await fn();
      into.seconds += (performance.now() - t0) / 1000;
      if (into.cpu !== undefined) into.cpu += threadCpu() - c0;
    };
    // The four rows take turns, ROUND messages each: one core, its baseline, two cores, the baseline
    // on two threads (the same messages for both baselines), so that the host's speed, which drifts
    // by tens of percent within minutes on this shared VM, weighs on all alike. Garbage is collected
    // between turns: each turn pays for its own, not for the one before.
    const storeTime = timeStoreCalls(one.core.store);
    for (let k = 0; k < N; k += ROUND) {
      collectGarbage();
      await timed(one, () => one.stream(one.rest.slice(k, k + ROUND)));
      collectGarbage();
      await timed(base, () => baselineOf(one.core.domain, one.rest.slice(k, k + ROUND)));
      collectGarbage();
      await timed(two, () => two.stream(two.rest.slice(k, k + ROUND)));
      if (other !== undefined) {
        collectGarbage();
        await timed(other, () => other.stream(other.rest.slice(k, k + ROUND)));
      }
      collectGarbage();
      await timed(base2, () => baseThreads.run(k, k + ROUND));
    }
    await baseThreads.stop();
    for (const v of other === undefined ? [one, two] : [one, two, other]) {
      if (v.core.store.counts().results !== WARM + N + 1) throw new Error("not every result was verified");
      for (const c of v.cores) await c.stop();
    }
    const checked = two.core.checks.workerStats.messages - stats0.messages;
    const workerCpu = two.core.checks.workerStats.cpuMicros - stats0.cpuMicros;
    const perResult = (micros: number, n: number) => `${(micros / n).toFixed(0)} µs CPU/result`;
    const split1 = `event loop ${perResult(one.cpu, one.rest.length)}`;
    const split2 = `event loop ${perResult(two.cpu, two.rest.length)} (checking ${two.rest.length - checked} of ${two.rest.length} itself), workers ${perResult(workerCpu, checked)} checked`;
    const breakdown = workBeyondBaseline(one.core.domain, one.rest, one.cpu, base.cpu, storeTime.micros);
    // What two cores could give at most if every thread kept its one-core speed: the one-core
    // row's CPU per result over the two-core row's (event loop and workers), times two.
    const twoCoreCpu = (two.cpu + workerCpu) / two.rest.length;
    figures["verified_scaling_2cores_ceiling"] = Number(
      ((2 * one.cpu) / one.rest.length / twoCoreCpu).toFixed(3),
    );
    figures["baseline_signature_recoveries_per_s"] = Math.round(one.rest.length / base.seconds);
    figures["verified_per_s_none"] = Math.round(one.rest.length / one.seconds);
    figures["verified_per_s_none_2cores"] = Math.round(two.rest.length / two.seconds);
    figures["verified_to_baseline_1core"] = Number(
      (figures["verified_per_s_none"] / figures["baseline_signature_recoveries_per_s"]!).toFixed(3),
    );
    figures["verified_scaling_2cores"] = Number(
      (figures["verified_per_s_none_2cores"] / figures["verified_per_s_none"]).toFixed(3),
    );
    figures["baseline_per_s_2threads"] = Math.round(one.rest.length / base2.seconds);
    figures["baseline_scaling_2cores"] = Number(
      (figures["baseline_per_s_2threads"] / figures["baseline_signature_recoveries_per_s"]).toFixed(3),
    );
    lines.push(
      `pipeline (NONE), 1 core: ${figures["verified_per_s_none"]} verified results/s; baseline (decode + 2 signature recoveries, 1 core): ${figures["baseline_signature_recoveries_per_s"]}/s; verified_to_baseline_1core ${figures["verified_to_baseline_1core"]} (${split1})`,
      `  one core, CPU µs per result: ${breakdown}`,
      `pipeline (NONE), 2 cores (${twoLabel}): ${figures["verified_per_s_none_2cores"]}/s; verified_scaling_2cores ${figures["verified_scaling_2cores"]} (${split2}; at most ${figures["verified_scaling_2cores_ceiling"]} from the CPU per result of both rows)`,
      ...(other === undefined
        ? []
        : [
            `compared, 2 cores (${compareChecks}), taking turns with the row above: ${Math.round(other.rest.length / other.seconds)}/s; the row above / this one: ${(other.seconds / two.seconds).toFixed(3)}`,
          ]),
      `baseline on 2 threads at once: ${figures["baseline_per_s_2threads"]}/s; baseline_scaling_2cores ${figures["baseline_scaling_2cores"]} (how far this host scales the same work from one core to two, in the same turns)`,
    );

    // 2. Settlement gas per result from receipts, batches of 16/256/1024 (skipped with
    //    OPG_BENCH_PIPELINE_ONLY=1, e.g. to re-measure the pipeline alone).
    let nonce = 1_000_000n;
    const sizes = process.env["OPG_BENCH_PIPELINE_ONLY"] === "1" ? [] : [16, 256, 1024];
    for (const size of sizes) {
      const local = localVerifiers(net, {
        maxBatchSize: size,
        maxBatchAgeMs: 3_600_000,
        tickMs: 50,
      });
      for (const c of local.cores) c.start();
      const before = await net.publicClient.readContract({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        functionName: "lastBatchId",
      });
      const sent = Array.from({ length: size }, () =>
        signedResult({
          domain: local.cores[0]!.domain,
          requesterKey: net.requesterKeys[0]!,
          executorKey: net.executorKeys[0]!,
          modelId: MODEL,
          nonce: nonce++,
        }),
      );
      for (const s of sent) await local.deliverResult(s.bytes);
      await waitFor("the batch settled", () => local.cores[0]!.store.lastSettledBatchId() > before, {
        intervalMs: 20,
      });
      // The batch just settled (its id carries the set's bits above the sequence number, so it is
      // read back, not computed from the last one), with its transaction from the chain's log.
      const batch = local.cores[0]!.store.getBatch(local.cores[0]!.store.lastSettledBatchId())!;
      const receipt = await net.publicClient.getTransactionReceipt({ hash: batch.settleTx! });
      figures[`settle_gas_${size}`] = Number(receipt.gasUsed);
      figures[`settle_gas_per_result_${size}`] = Math.round(Number(receipt.gasUsed) / batch.count);
      lines.push(
        `settlement, ${batch.count} results: ${receipt.gasUsed} gas, ${figures[`settle_gas_per_result_${size}`]} gas/result`,
      );
      for (const c of local.cores) await c.stop();
    }
  } finally {
    chain.stop();
  }
  return lines;
}

/**
 * Times the store's calls on the hot path (duplicate and equivocation lookups, the insert, the
 * group commit) where they run: inside the one-core row, between the checks, whose CPU caches they
 * share (timed alone in a loop of their own they cost about half as much). Wall time; on one
 * lane nothing else runs meanwhile.
 */
function timeStoreCalls(store: VerifierStore): { micros: number } {
  const total = { micros: 0 };
  const s = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ["knowsResult", "outputHashOfExecutor", "insertResult", "commitGroup"]) {
    const call = s[name]!.bind(store);
    s[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return call(...args);
      } finally {
        total.micros += (performance.now() - t0) * 1000;
      }
    };
  }
  return total;
}

/**
 * What the one-core pipeline does beyond the baseline, part by part (µs per result; the pipeline's
 * and the baseline's CPU from their interleaved turns, `pipelineCpu` and `baselineCpu`): the durable
 * store, timed inside the run (`timeStoreCalls`); the request binding (the direct request's
 * EIP-712 digest, which must equal its requestId), the inline outputs (keccak256 and strict tensor
 * decoding) and the resultHash read off the header, each measured alone on the same messages (CPU,
 * this thread: a lower bound, its caches warm). The rest of the pipeline's CPU beyond the baseline
 * and these parts is the registry cache, the steps' bookkeeping and these parts' cost of running
 * between the others. Sets `baseline_cpu_us`, `pipeline_cpu_us` and `beyond_baseline_<part>_us`,
 * and `verified_to_baseline_1core_ceiling`: the ratio left if the pipeline did the baseline and
 * these parts and nothing else.
 */
function workBeyondBaseline(
  domain: OpgDomain,
  list: readonly { bytes: Uint8Array }[],
  pipelineCpu: number,
  baselineCpu: number,
  storeMicros: number,
): string {
  const cpuNow = () => {
    const c = process.threadCpuUsage();
    return c.user + c.system;
  };
  const decoded = list.map((m) => decodeResultMessage(m.bytes));
  const per = (fn: () => void) => {
    const c0 = cpuNow();
    fn();
    return (cpuNow() - c0) / list.length;
  };
  const baseline = baselineCpu / list.length;
  const parts: Record<string, number> = {
    store: storeMicros / list.length,
    request_digest: per(() => {
      for (const m of decoded) {
        if (m.origin.type !== "direct") continue;
        inferenceRequestDigest(domain, {
          ...m.origin,
          modelId: m.modelId,
          inputHash: m.inputHash,
          mode: m.mode,
        });
      }
    }),
    outputs: per(() => {
      for (const m of decoded) outputsCheck(m);
    }),
    result_hash: per(() => {
      for (const m of list) peekResultHash(m.bytes);
    }),
  };
  const pipeline = pipelineCpu / list.length;
  const sum = Object.values(parts).reduce((a, b) => a + b, 0);
  figures["baseline_cpu_us"] = Math.round(baseline);
  figures["pipeline_cpu_us"] = Math.round(pipeline);
  for (const [k, v] of Object.entries(parts)) figures[`beyond_baseline_${k}_us`] = Math.round(v);
  figures["verified_to_baseline_1core_ceiling"] = Number((baseline / (baseline + sum)).toFixed(3));
  return (
    `pipeline ${pipeline.toFixed(0)}, baseline ${baseline.toFixed(0)}; beyond it: ` +
    Object.entries(parts)
      .map(([k, v]) => `${k.replace("_", " ")} ${v.toFixed(0)}`)
      .join(", ") +
    ` (store timed in the run, the others alone), the rest (registry cache, steps, running interleaved) ${(pipeline - baseline - sum).toFixed(0)}; ratio left with only the baseline and these parts: ${figures["verified_to_baseline_1core_ceiling"]}`
  );
}

/** A full garbage collection now (between timed turns). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

const lines = await pipelineAndGas();

console.log(`\nopg-verify — ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`);
for (const l of lines) console.log(`  ${l}`);
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
const file = join(ROOT, "bench-results", "verify.json");
// Re-measuring the pipeline alone keeps the figures it did not measure (gas, latency) from before.
const kept =
  process.env["OPG_BENCH_PIPELINE_ONLY"] === "1" && existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, number>)
    : {};
writeFileSync(file, `${JSON.stringify({ ...kept, ...figures }, null, 2)}\n`);
process.exit(0);
