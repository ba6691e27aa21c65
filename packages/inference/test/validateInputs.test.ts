import type { TensorMap } from "@opg/protocol";
import { describe, expect, it } from "vitest";
import { InputValidationError, type ModelIoSpec, validateInputs } from "../src/index.js";

const specs: ModelIoSpec[] = [
  { name: "image", dtype: "float32", ortType: "float32", shape: ["batch", 3, "h", "w"] },
  { name: "ids", dtype: "int64", ortType: "int64", shape: ["batch", 4] },
];

function valid(): TensorMap {
  return {
    image: { dtype: "float32", dims: [2, 3, 2, 2], data: new Float32Array(24) },
    ids: { dtype: "int64", dims: [2, 4], data: new BigInt64Array(8) },
  };
}

function codeOf(fn: () => unknown): { code: string; input: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputValidationError)
      return { code: error.code, input: error.input, message: error.message };
    throw error;
  }
  throw new Error("expected an InputValidationError");
}

describe("validateInputs", () => {
  it("default", () => {
    expect(validateInputs(valid(), specs)).toEqual({ batch: 2, h: 2, w: 2 });
  });

  it("error: UNKNOWN_INPUT names the model's inputs", () => {
    const inputs = {
      ...valid(),
      extra: { dtype: "float32", dims: [1], data: new Float32Array(1) },
    } as TensorMap;
    const error = codeOf(() => validateInputs(inputs, specs));
    expect(error).toMatchObject({ code: "UNKNOWN_INPUT", input: "extra" });
    expect(error.message).toContain("image, ids");
  });

  it("error: MISSING_INPUT", () => {
    const { ids: _ids, ...inputs } = valid();
    expect(codeOf(() => validateInputs(inputs, specs))).toMatchObject({
      code: "MISSING_INPUT",
      input: "ids",
    });
  });

  it("error: DTYPE_MISMATCH (declared dtype and data array)", () => {
    const wrongDtype = {
      ...valid(),
      ids: { dtype: "int32", dims: [2, 4], data: new Int32Array(8) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(wrongDtype, specs))).toMatchObject({
      code: "DTYPE_MISMATCH",
      input: "ids",
    });
    const wrongArray = {
      ...valid(),
      ids: { dtype: "int64", dims: [2, 4], data: new Float64Array(8) },
    } as unknown as TensorMap;
    const error = codeOf(() => validateInputs(wrongArray, specs));
    expect(error.code).toBe("DTYPE_MISMATCH");
    expect(error.message).toContain("BigInt64Array");
  });

  it("error: RANK_MISMATCH", () => {
    const inputs = {
      ...valid(),
      ids: { dtype: "int64", dims: [8], data: new BigInt64Array(8) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(inputs, specs))).toMatchObject({
      code: "RANK_MISMATCH",
      input: "ids",
    });
  });

  it("error: DIM_MISMATCH on static dims and on symbolic dims bound by another input", () => {
    const fixed = {
      ...valid(),
      ids: { dtype: "int64", dims: [2, 5], data: new BigInt64Array(10) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(fixed, specs))).toMatchObject({ code: "DIM_MISMATCH", input: "ids" });
    const symbolic = {
      ...valid(),
      ids: { dtype: "int64", dims: [3, 4], data: new BigInt64Array(12) },
    } as TensorMap;
    const error = codeOf(() => validateInputs(symbolic, specs));
    expect(error).toMatchObject({ code: "DIM_MISMATCH", input: "ids" });
    expect(error.message).toContain('input "image" set batch = 2');
  });

  it("error: TOO_MANY_ELEMENTS per tensor and in all", () => {
    const limits = { maxTensors: 64, maxRank: 8, maxElements: 16, maxBytes: 1024 };
    expect(codeOf(() => validateInputs(valid(), specs, limits))).toMatchObject({
      code: "TOO_MANY_ELEMENTS",
      input: "image",
    });
    const bytes = { ...limits, maxElements: 100, maxBytes: 100 };
    expect(codeOf(() => validateInputs(valid(), specs, bytes)).code).toBe("TOO_MANY_ELEMENTS");
    // Huge declared dims are refused before any allocation or multiplication overflow.
    const huge = {
      ...valid(),
      image: { dtype: "float32", dims: [2, 3, 2 ** 30, 2 ** 30], data: new Float32Array(1) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(huge, specs)).code).toBe("TOO_MANY_ELEMENTS");
  });

  it("error: DATA_LENGTH_MISMATCH", () => {
    const inputs = {
      ...valid(),
      ids: { dtype: "int64", dims: [2, 4], data: new BigInt64Array(7) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(inputs, specs))).toMatchObject({
      code: "DATA_LENGTH_MISMATCH",
      input: "ids",
    });
  });

  it("error: INVALID_TENSOR (negative or fractional dims, bool values, non-tensors)", () => {
    const negative = {
      ...valid(),
      ids: { dtype: "int64", dims: [2, -4], data: new BigInt64Array(8) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(negative, specs)).code).toBe("INVALID_TENSOR");
    const fractional = {
      ...valid(),
      ids: { dtype: "int64", dims: [2, 4.5], data: new BigInt64Array(8) },
    } as TensorMap;
    expect(codeOf(() => validateInputs(fractional, specs)).code).toBe("INVALID_TENSOR");
    const boolSpecs: ModelIoSpec[] = [{ name: "m", dtype: "bool", ortType: "bool", shape: [2] }];
    const bools = { m: { dtype: "bool", dims: [2], data: new Uint8Array([1, 2]) } } as TensorMap;
    expect(codeOf(() => validateInputs(bools, boolSpecs)).code).toBe("INVALID_TENSOR");
    expect(codeOf(() => validateInputs({ m: null } as unknown as TensorMap, boolSpecs)).code).toBe(
      "INVALID_TENSOR",
    );
  });

  it("error: TOO_MANY_INPUTS and UNSUPPORTED_DTYPE", () => {
    const many: TensorMap = {};
    for (let i = 0; i < 65; i++) many[`x${i}`] = { dtype: "uint8", dims: [1], data: new Uint8Array(1) };
    expect(codeOf(() => validateInputs(many, specs)).code).toBe("TOO_MANY_INPUTS");
    const stringSpecs: ModelIoSpec[] = [{ name: "s", dtype: null, ortType: "string", shape: [1] }];
    const inputs = { s: { dtype: "uint8", dims: [1], data: new Uint8Array(1) } } as TensorMap;
    expect(codeOf(() => validateInputs(inputs, stringSpecs)).code).toBe("UNSUPPORTED_DTYPE");
  });
});
