import { writeOnnxModel } from "../src/toolchain.js";

/**
 * A small model touching every supported op and both fused and unfused paths:
 * Flatten → MatMul → Add(bias, fused) → Relu (fused) → Reshape → Gemm(α=0.5, β=2, transB=0) → g;
 * Relu(g) (standalone, g has two readers) → Add(g, relu(g)) → Add(constant) → Identity.
 */
export function mixedOpsOnnx(): Uint8Array {
  const w1 = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i * 1.7) * 0.8);
  const b1 = Float32Array.from({ length: 5 }, (_, i) => 0.1 * (i - 2));
  const w2 = Float32Array.from({ length: 5 * 4 }, (_, i) => Math.cos(i * 0.9) * 0.6);
  const b2 = Float32Array.from([0.05, -0.2, 0.3, 0.0]);
  const c = Float32Array.from([1.5, -0.25, 0.125, -3]);
  return writeOnnxModel({
    input: { name: "features", dims: [1, 2, 3] },
    output: { name: "y", dims: [1, 4] },
    initializers: [
      { name: "W1", dims: [6, 5], data: w1 },
      { name: "b1", dims: [5], data: b1 },
      { name: "W2", dims: [5, 4], data: w2 },
      { name: "b2", dims: [4], data: b2 },
      { name: "c", dims: [4], data: c },
      { name: "shape", dims: [2], data: BigInt64Array.from([1n, -1n]) },
    ],
    nodes: [
      { opType: "Flatten", name: "flatten", inputs: ["features"], outputs: ["f"], attributes: { axis: 1 } },
      { opType: "MatMul", name: "matmul", inputs: ["f", "W1"], outputs: ["m"] },
      { opType: "Add", name: "bias", inputs: ["m", "b1"], outputs: ["a"] },
      { opType: "Relu", name: "relu1", inputs: ["a"], outputs: ["r"] },
      { opType: "Reshape", name: "reshape", inputs: ["r", "shape"], outputs: ["r2"] },
      {
        opType: "Gemm",
        name: "gemm",
        inputs: ["r2", "W2", "b2"],
        outputs: ["g"],
        attributes: { alpha: 0.5, beta: 2.5 },
      },
      { opType: "Relu", name: "relu2", inputs: ["g"], outputs: ["gr"] },
      { opType: "Add", name: "residual", inputs: ["g", "gr"], outputs: ["s"] },
      { opType: "Add", name: "shift", inputs: ["c", "s"], outputs: ["o"] },
      { opType: "Identity", name: "identity", inputs: ["o"], outputs: ["y"] },
    ],
  });
}

/** Gemm → Sigmoid: refused by the compiler. */
export function sigmoidOnnx(): Uint8Array {
  return writeOnnxModel({
    input: { name: "x", dims: [1, 2] },
    output: { name: "p", dims: [1, 2] },
    initializers: [{ name: "W", dims: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }],
    nodes: [
      { opType: "Gemm", name: "dense", inputs: ["x", "W"], outputs: ["z"] },
      { opType: "Sigmoid", name: "squash_7", inputs: ["z"], outputs: ["p"] },
    ],
  });
}

/**
 * A small CNN touching every new op: uint8 [1,1,8,8] → Cast → Div(255) (folded forward) → Conv
 * (3×3, pad 1) → BatchNormalization (folded back) → AveragePool 2×2/2 → Relu → AveragePool 3×3
 * pad 1 (count_include_pad) → MaxPool 2×2/1 → Conv 2×2 → Relu → Transpose → Add (residual) →
 * Mul(0.5) → Sub(0.1) → GlobalAveragePool → Flatten → Gemm.
 */
export function smallCnnOnnx(): Uint8Array {
  const f = (n: number, seed: number, s = 0.5) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.37 + seed) * s);
  return writeOnnxModel({
    input: { name: "pixels", dims: [1, 1, 8, 8], elemType: 2 },
    output: { name: "logits", dims: [1, 3] },
    initializers: [
      { name: "k255", dims: [], data: Float32Array.from([255]) },
      { name: "c1.w", dims: [3, 1, 3, 3], data: f(27, 1) },
      { name: "c1.b", dims: [3], data: f(3, 2, 0.1) },
      { name: "bn.scale", dims: [3], data: Float32Array.from([1.2, 0.8, -0.5]) },
      { name: "bn.bias", dims: [3], data: Float32Array.from([0.1, -0.1, 0.05]) },
      { name: "bn.mean", dims: [3], data: Float32Array.from([0.02, -0.03, 0.01]) },
      { name: "bn.var", dims: [3], data: Float32Array.from([0.5, 1.5, 0.9]) },
      { name: "c2.w", dims: [2, 3, 2, 2], data: f(24, 3) },
      { name: "c2.b", dims: [2], data: f(2, 4, 0.1) },
      { name: "half", dims: [1], data: Float32Array.from([0.5]) },
      { name: "tenth", dims: [1, 2, 1, 1], data: Float32Array.from([0.1, -0.2]) },
      { name: "fc.w", dims: [3, 2], data: f(6, 5, 1.5) },
      { name: "fc.b", dims: [3], data: f(3, 6, 0.2) },
    ],
    nodes: [
      { opType: "Cast", name: "cast", inputs: ["pixels"], outputs: ["xf"], attributes: { to: 1 } },
      { opType: "Div", name: "norm", inputs: ["xf", "k255"], outputs: ["xn"] },
      {
        opType: "Conv",
        name: "conv1",
        inputs: ["xn", "c1.w", "c1.b"],
        outputs: ["c1"],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      },
      {
        opType: "BatchNormalization",
        name: "bn",
        inputs: ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"],
        outputs: ["b1"],
        attributes: { epsilon: { f: 1e-5 } },
      },
      {
        opType: "AveragePool",
        name: "pool1",
        inputs: ["b1"],
        outputs: ["p1"],
        attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      { opType: "Relu", name: "relu1", inputs: ["p1"], outputs: ["r1"] },
      {
        opType: "AveragePool",
        name: "blur",
        inputs: ["r1"],
        outputs: ["a1"],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 },
      },
      {
        opType: "MaxPool",
        name: "max",
        inputs: ["a1"],
        outputs: ["m1"],
        attributes: { kernel_shape: [2, 2] },
      },
      {
        opType: "Conv",
        name: "conv2",
        inputs: ["m1", "c2.w", "c2.b"],
        outputs: ["c2"],
        attributes: { kernel_shape: [2, 2] },
      },
      { opType: "Relu", name: "relu2", inputs: ["c2"], outputs: ["r2"] },
      {
        opType: "Transpose",
        name: "swap",
        inputs: ["r2"],
        outputs: ["t2"],
        attributes: { perm: [0, 1, 3, 2] },
      },
      { opType: "Add", name: "residual", inputs: ["t2", "r2"], outputs: ["s2"] },
      { opType: "Mul", name: "halve", inputs: ["s2", "half"], outputs: ["h2"] },
      { opType: "Sub", name: "shift", inputs: ["h2", "tenth"], outputs: ["d2"] },
      { opType: "GlobalAveragePool", name: "gap", inputs: ["d2"], outputs: ["g"] },
      { opType: "Flatten", name: "flat", inputs: ["g"], outputs: ["fl"] },
      {
        opType: "Gemm",
        name: "fc",
        inputs: ["fl", "fc.w", "fc.b"],
        outputs: ["logits"],
        attributes: { transB: 1 },
      },
    ],
  });
}
