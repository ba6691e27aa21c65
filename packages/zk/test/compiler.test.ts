import { describe, expect, it } from "vitest";
import {
  artifactKeyFor,
  COMPILER_VERSION,
  compileModel,
  parseOnnxModel,
  SUPPORTED_OPS,
  weightVector,
  writeOnnxModel,
  ZkError,
} from "../src/index.js";
import { irisOnnx } from "./helpers.js";
import { mixedOpsOnnx, sigmoidOnnx } from "./models.js";

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
    expect(c.spec.input).toEqual({ name: "input", dims: [1, 4], size: 4 });
    expect(c.spec.output).toEqual({ name: "logits", dims: [1, 3], size: 3 });
    expect(c.spec.layers.map((l) => [l.op, l.op === "linear" && l.relu])).toEqual([
      ["linear", true],
      ["linear", false],
    ]);
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

  it("behavior: lowers every supported op, fusing bias and ReLU into single-reader linear layers", async () => {
    const c = await compileModel(mixedOpsOnnx());
    expect(c.spec.input).toEqual({ name: "features", dims: [1, 2, 3], size: 6 });
    expect(c.spec.layers.map((l) => (l.op === "linear" ? `linear${l.relu ? "+relu" : ""}` : l.op))).toEqual([
      "linear+relu", // MatMul + Add(bias) + Relu
      "linear", // Gemm: its output has two readers
      "relu",
      "add",
      "addConst",
    ]);
    const gemm = c.spec.layers[1]!;
    // alpha = 0.5 folded into the weights, beta = 2.5 into the bias (scale 2^32).
    expect(gemm.op === "linear" && gemm.bias[0]).toBe(
      BigInt(Math.floor(Math.fround(0.05) * 2.5 * 2 ** 32 + 0.5)),
    );
    expect(c.spec.output.size).toBe(4);
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
    for (const op of ["Gemm", "MatMul", "Add", "Relu", "Flatten", "Reshape"])
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
