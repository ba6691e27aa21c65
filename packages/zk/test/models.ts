import { writeOnnxModel } from "../src/index.js";

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
