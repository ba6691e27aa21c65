/**
 * pnpm bench:verify — the verifier's pipeline and settlement, measured on a real chain.
 *
 * 1. Verified results/s (mode NONE) through the whole validation pipeline (decode, outputs hash,
 *    request binding, executor signature, registry checks, duplicate and equivocation checks,
 *    proof check) and the durable store, on one core, next to the baseline of signature
 *    recovery alone for the same messages.
 * 2. Settlement gas per result from real receipts, 3 verifiers (f = 1), batches of 16/256/1024.
 * (Request-to-settled latency on the devnet is measured by packages/devnet/bench/latency.bench.ts,
 * which adds its figures to the same file.)
 *
 * Prints a table and writes bench-results/verify.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inferenceHubAbi, modeMask } from "@opg/contracts";
import { decodeResultMessage, executionResultDigest, ProofMode, recoverDigestSigner } from "@opg/protocol";
import { deployLocalNetwork, HardhatNode } from "@opg/testkit";
import { keccak256, toHex } from "viem";
import { localVerifiers } from "../test/helpers/localVerifiers.js";
import { signedResult } from "../test/helpers/results.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MODEL = keccak256(toHex("opg/bench/model"));
const figures: Record<string, number> = {};

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

    // 1. Throughput of one verifier's pipeline (its coordinator idle: nothing is due yet).
    {
      const { cores } = localVerifiers(net, chain.rpcUrl, { maxBatchSize: 8192, maxBatchAgeMs: 3_600_000 });
      const core = cores[0]!;
      const N = 4_000;
      const messages = Array.from({ length: N }, (_, i) =>
        signedResult({
          domain: core.domain,
          requesterKey: net.requesterKeys[i % 3]!,
          executorKey: net.executorKeys[i % 2]!,
          modelId: MODEL,
          nonce: BigInt(i),
        }),
      );
      // Warm the registry cache (one chain read per executor and model), as a running node has.
      core.intake.accept(await core.intake.validate(messages[0]!.bytes));
      const t0 = performance.now();
      for (const m of messages.slice(1)) core.intake.accept(await core.intake.validate(m.bytes));
      const pipelineS = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      for (const m of messages.slice(1)) {
        const d = decodeResultMessage(m.bytes);
        recoverDigestSigner(executionResultDigest(core.domain, d), d.signature);
        if (d.origin.type === "direct") recoverDigestSigner(d.requestId, d.origin.requesterSignature);
      }
      const baselineS = (performance.now() - t1) / 1000;
      figures["verified_per_s_none"] = Math.round((N - 1) / pipelineS);
      figures["baseline_signature_recoveries_per_s"] = Math.round((N - 1) / baselineS);
      figures["pipeline_vs_signatures_ratio"] = Number((baselineS / pipelineS).toFixed(3));
      lines.push(
        `pipeline (NONE): ${figures["verified_per_s_none"]} verified results/s; baseline (decode + 2 signature recoveries): ${figures["baseline_signature_recoveries_per_s"]}/s; ratio ${figures["pipeline_vs_signatures_ratio"]}`,
      );
      for (const c of cores) await c.stop();
    }

    // 2. Settlement gas per result from receipts, batches of 16/256/1024.
    let nonce = 1_000_000n;
    for (const size of [16, 256, 1024]) {
      const local = localVerifiers(net, chain.rpcUrl, {
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
      await until(() => local.cores[0]!.store.lastSettledBatchId() > before, 120_000);
      const batch = local.cores[0]!.store.getBatch(before + 1n)!;
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

const lines = await pipelineAndGas();

console.log(`\nopg-verify — ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`);
for (const l of lines) console.log(`  ${l}`);
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
writeFileSync(join(ROOT, "bench-results", "verify.json"), `${JSON.stringify(figures, null, 2)}\n`);
process.exit(0);
