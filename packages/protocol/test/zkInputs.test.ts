import { describe, expect, it } from "vitest";
import { unbindableZkInput, ZK_INPUT_DTYPES } from "../src/index.js";

describe("ZK input dtypes", () => {
  it("default: float32 and uint8 inputs are bindable by a proof", () => {
    expect(ZK_INPUT_DTYPES).toEqual(["float32", "uint8"]);
    expect(
      unbindableZkInput({
        x: { dtype: "float32", dims: [1], data: new Float32Array([1]) },
        pixels: { dtype: "uint8", dims: [2], data: new Uint8Array([0, 255]) },
      }),
    ).toBeUndefined();
  });

  it("error: the first other dtype (float64 cannot settle on chain) is named", () => {
    expect(
      unbindableZkInput({
        x: { dtype: "float32", dims: [1], data: new Float32Array([1]) },
        y: { dtype: "float64", dims: [1], data: new Float64Array([1]) },
      }),
    ).toEqual({ name: "y", dtype: "float64" });
  });
});
