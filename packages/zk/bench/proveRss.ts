/**
 * Child process of the zk benchmark: proves `n` MNIST test digits with one artifact directory in a
 * fresh process and prints {"maxRssMb", "proveMs"} — the peak resident memory of proving alone
 * (zkey, witness, MSMs), not of the benchmark around it.
 *
 *   tsx --conditions=@opg/source bench/proveRss.ts <artifactDir> <n>
 */
import { mnistSplit } from "../scripts/mnistData.js";
import { loadArtifacts, ZkProver } from "../src/index.js";

const [dir, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 2);
const artifacts = await loadArtifacts(dir!);
const { test } = mnistSplit();
const prover = new ZkProver({ workers: 1 });
await prover.start();
const ms: number[] = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await prover.prove(
    artifacts,
    {
      [artifacts.spec.input.name]: { dtype: "uint8", dims: artifacts.spec.input.dims, data: test[i]!.pixels },
    },
    "0x5e7e000000000000000000000000000000005e7e",
  );
  ms.push(performance.now() - t0);
}
await prover.stop();
console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), proveMs: ms }));
process.exit(0);
