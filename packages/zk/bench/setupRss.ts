/**
 * Child process of the zk benchmark: the Groth16 setup of one MNIST model (compile, circom,
 * phase 2 from the ceremony file) in a fresh process, into the artifact cache, printing
 * {"setupSeconds", "maxRssMb"}: the peak resident memory of the setup alone. The benchmark runs it
 * under GNU time when the machine has it, whose peak covers circom's own child process too.
 *
 *   tsx --conditions=@opg/source bench/setupRss.ts <model.onnx> <scaleBits> <ptau> <artifactsDir>
 */
import { readFile } from "node:fs/promises";
import { terminateZkEngine } from "../src/index.js";
import { buildArtifacts, compileModel } from "../src/toolchain.js";

const [onnx, scaleArg, ptau, artifactsDir] = process.argv.slice(2);
if (!onnx || !scaleArg || !ptau || !artifactsDir) {
  console.error("usage: setupRss.ts <model.onnx> <scaleBits> <ptau> <artifactsDir>");
  process.exit(2);
}
const compiled = await compileModel(new Uint8Array(await readFile(onnx)), { scaleBits: Number(scaleArg) });
const t0 = performance.now();
await buildArtifacts(compiled, {
  cacheDir: artifactsDir,
  ptauPath: ptau,
  onLog: (line) => console.error(`[setup] ${line}`),
});
const setupSeconds = (performance.now() - t0) / 1000;
await terminateZkEngine();
console.log(JSON.stringify({ setupSeconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
process.exit(0);
