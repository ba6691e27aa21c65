import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { mnistSplit } from "./scripts/mnistData.js";
import { compileModel, constraintReport, formatConstraintReport, runQuantized } from "./src/index.js";

const kind = process.argv[2] ?? "mlp";
const bytes = new Uint8Array(readFileSync(`models/mnist-${kind}.onnx`));
const { test } = mnistSplit();
const session = await ort.InferenceSession.create(bytes);
const N = Number(process.argv[3] ?? 500);
const dims = kind === "mlp" ? [1, 784] : [1, 1, 28, 28];
const floatCls: number[] = [];
const argmax = (v: ArrayLike<number | bigint>) => {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[b]!) b = i;
  return b;
};
for (let i = 0; i < N; i++) {
  const out = (await session.run({ pixels: new ort.Tensor("uint8", test[i]!.pixels, dims) }))["logits"]!
    .data as Float32Array;
  floatCls.push(argmax(out));
}
for (const s of (process.argv[4] ?? "4,5,6,8").split(",").map(Number)) {
  const c = await compileModel(bytes, { scaleBits: s });
  const r = constraintReport(c.spec);
  let agree = 0,
    correct = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const y = runQuantized(c.spec, Array.from(test[i]!.pixels, BigInt)).output;
    if (argmax(y) === floatCls[i]) agree++;
    if (argmax(y) === test[i]!.label) correct++;
  }
  console.log(
    `S=${s} constraints=${r.total} agreement=${agree / N} acc=${correct / N} float_acc=${floatCls.filter((c, i) => c === test[i]!.label).length / N} ms/img=${((performance.now() - t0) / N).toFixed(1)}`,
  );
  if (process.argv[5]) console.log(formatConstraintReport(r));
}
process.exit(0);
