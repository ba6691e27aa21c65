import { describe, expect, it } from "vitest";
import { weightVector, ZkError } from "../src/index.js";
import {
  artifactKeyFor,
  COMPILER_VERSION,
  compileModel,
  constraintReport,
  formatConstraintReport,
  parseOnnxModel,
  SUPPORTED_OPS,
  writeOnnxModel,
} from "../src/toolchain.js";
import { irisOnnx } from "./helpers.js";
import { mixedOpsOnnx, sigmoidOnnx, smallCnnOnnx } from "./models.js";

async function compileError(bytes: Uint8Array, options = {}): Promise<ZkError> {
  try {
    await compileModel(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ZkError);
    return e as ZkError;
  }
  throw new Error("expected a ZkError");
}

describe("compileModel", () => {
  it("default", async () => {
    const c = await compileModel(irisOnnx());
    expect(c.compilerVersion).toBe(COMPILER_VERSION);
    expect(c.spec).toMatchObject({ scaleBits: 16, valueBits: 40, weightMode: "constant" });
    expect(c.spec.input).toEqual({ name: "input", dims: [1, 4], size: 4, kind: "fixed" });
    expect(c.spec.output).toEqual({ name: "logits", dims: [1, 3], size: 3 });
    expect(c.spec.layers.map((l) => (l.op === "rescale" ? `rescale${l.relu ? "+relu" : ""}` : l.op))).toEqual(
      ["linear", "rescale+relu", "linear", "rescale"],
    );
    expect(weightVector(c.spec)).toHaveLength(4 * 8 + 8 + 8 * 3 + 3);
    // The executor is main's one public input: public signal 3, after the three outputs.
    expect(c.circom).toContain("component main {public [executor]} = OpgModel();");
    expect(c.circom).toContain("signal input executor;");
    expect(c.circom).toContain("signal executorSquare <== executor * executor;");
    expect(c.circom).toMatch(
      /signal output weightsCommitment;\s+signal output inputCommitment;\s+signal output outputCommitment;/,
    );
    expect(c.circom).toContain(`weightsCommitment <== ${c.weightsCommitment};`);
  });

  it("behavior: parses the ONNX graph of the example model", () => {
    const g = parseOnnxModel(irisOnnx());
    expect(g.nodes.map((n) => n.opType)).toEqual(["Gemm", "Relu", "Gemm"]);
    expect(g.inputs).toEqual([{ name: "input", elemType: 1, dims: [undefined, 4] }]);
    expect(g.constants.get("fc0.weight")?.dims).toEqual([8, 4]);
  });

  it("behavior: lowers every MLP op; constant adds fold into the bias, rescales only before ReLU and output", async () => {
    const c = await compileModel(mixedOpsOnnx());
    expect(c.spec.input).toEqual({ name: "features", dims: [1, 2, 3], size: 6, kind: "fixed" });
    expect(c.spec.layers.map((l) => (l.op === "rescale" ? `rescale${l.relu ? "+relu" : ""}` : l.op))).toEqual(
      [
        "linear", // MatMul + Add(bias), folded
        "rescale+relu",
        "linear", // Gemm: its output has two readers
        "rescale+relu",
        "add", // g (scale 2s) + relu(g) (scale s), aligned by a shift
        "affine", // Add(constant): g has two readers, so nothing to fold into
        "rescale", // the output back to scale 2^s
      ],
    );
    const add = c.spec.layers[4]!;
    if (add.op !== "add") throw new Error("expected add");
    expect([add.shiftA, add.shiftB]).toEqual([0, c.spec.values[add.a]!.scale - c.spec.scaleBits]);
    expect(c.spec.output.size).toBe(4);
  });

  it("behavior: lowers a CNN: folds Div(255) and BatchNormalization into the convolution, pools as sums", async () => {
    const c = await compileModel(smallCnnOnnx(), { scaleBits: 10 });
    expect(c.spec.input).toEqual({ name: "pixels", dims: [1, 1, 8, 8], size: 64, kind: "uint8" });
    expect(c.spec.layers.map((l) => l.op)).toEqual([
      "conv", // Cast, Div(255) and BatchNormalization folded in
      "sumPool",
      "rescale",
      "sumPool", // 3×3 with count_include_pad: multiplier 1/9
      "rescale", // MaxPool compares values at scale 2^s
      "maxPool",
      "conv",
      "rescale",
      "gather", // Transpose
      "add",
      "affine", // Mul(0.5)
      "affine", // Sub(0.1)
      "sumPool", // GlobalAveragePool: 4 elements, a shift of the scale
      "linear",
      "rescale",
    ]);
    // The range of every rescale comes from interval analysis: far below valueBits (40).
    for (const l of c.spec.layers) if (l.op === "rescale") expect(l.bits).toBeLessThan(20);
    const report = constraintReport(c.spec);
    expect(report.rows[0]).toMatchObject({ layer: "input", constraints: 64 * 8 });
    expect(
      report.rows.filter((r) => r.op === "conv" || r.op === "sumPool").every((r) => r.constraints === 0),
    ).toBe(true);
    expect(formatConstraintReport(report)).toContain("total");
  });

  it("behavior: BatchNormalization after a Gemm folds into it (per output)", async () => {
    const bytes = writeOnnxModel({
      input: { name: "x", dims: [1, 2] },
      output: { name: "y", dims: [1, 2] },
      initializers: [
        { name: "W", dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
        { name: "s", dims: [2], data: Float32Array.from([2, 0.5]) },
        { name: "b", dims: [2], data: Float32Array.from([0.25, -1]) },
        { name: "m", dims: [2], data: Float32Array.from([0, 1]) },
        { name: "v", dims: [2], data: Float32Array.from([1, 1]) },
      ],
      nodes: [
        { opType: "Gemm", name: "fc", inputs: ["x", "W"], outputs: ["h"] },
        {
          opType: "BatchNormalization",
          name: "bn",
          inputs: ["h", "s", "b", "m", "v"],
          outputs: ["y"],
          attributes: { epsilon: { f: 0 } },
        },
      ],
    });
    const c = await compileModel(bytes);
    expect(c.spec.layers.map((l) => l.op)).toEqual(["linear", "rescale"]);
  });

  it("behavior: the artifact key addresses model, scale, value range, weight mode and compiler version", async () => {
    const bytes = irisOnnx();
    const a = await compileModel(bytes);
    const b = await compileModel(bytes, { scaleBits: 12 });
    const p = await compileModel(bytes, { weightMode: "private" });
    expect(new Set([a.artifactKey, b.artifactKey, p.artifactKey]).size).toBe(3);
    expect(a.artifactKey).toBe(
      artifactKeyFor(a.modelId, { scaleBits: 16, valueBits: 40, weightMode: "constant" }),
    );
    // Same weights, same commitment, whatever the weight mode.
    expect(p.weightsCommitment).toBe(a.weightsCommitment);
    expect(p.circom).toContain("signal input w[67];");
  });

  it("error: refuses an unsupported op, naming the op and the node", async () => {
    const e = await compileError(sigmoidOnnx());
    expect(e.code).toBe("UNSUPPORTED_OP");
    expect(e.message).toContain('"Sigmoid"');
    expect(e.message).toContain('"squash_7"');
    expect(e.meta).toEqual({ op: "Sigmoid", node: "squash_7" });
    for (const op of [
      "Gemm",
      "MatMul",
      "Conv",
      "AveragePool",
      "MaxPool",
      "GlobalAveragePool",
      "BatchNormalization",
      "Transpose",
    ])
      expect(SUPPORTED_OPS).toContain(op);
  });

  it("error: refuses a graph whose weights are an input rather than a constant", async () => {
    const bytes = writeOnnxModel({
      input: { name: "x", dims: [1, 2] },
      output: { name: "y", dims: [1, 2] },
      initializers: [],
      nodes: [{ opType: "MatMul", name: "mm", inputs: ["x", "x"], outputs: ["y"] }],
    });
    const e = await compileError(bytes);
    expect(e.code).toBe("INVALID_MODEL");
    expect(e.message).toContain('MatMul node "mm"');
  });

  it("error: refuses bytes that are not ONNX", async () => {
    expect((await compileError(Uint8Array.from([0xff, 0xff, 0xff, 0x01]))).code).toBe("INVALID_MODEL");
  });

  it("args: scaleBits and valueBits are validated", async () => {
    expect((await compileError(irisOnnx(), { scaleBits: 0 })).code).toBe("INVALID_INPUT");
    expect((await compileError(irisOnnx(), { scaleBits: 16, valueBits: 16 })).code).toBe("INVALID_INPUT");
    expect((await compileError(irisOnnx(), { valueBits: 65 })).code).toBe("INVALID_INPUT");
  });
});
