import type { Tensor } from "@opg/protocol";
import { ELEM, identityModel, mixedModel } from "@opg/testkit";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { fromOrtResults, fromOrtTensor, toOrtFeeds, toOrtTensor } from "../src/index.js";

async function roundTrip(elemType: number, tensor: Tensor): Promise<Tensor> {
  const session = await ort.InferenceSession.create(identityModel(elemType, ["N"]));
  try {
    const outputs = fromOrtResults(await session.run({ X: toOrtTensor(tensor) }));
    return outputs["Y"] as Tensor;
  } finally {
    await session.release();
  }
}

describe("toOrtTensor / fromOrtTensor", () => {
  it("default", async () => {
    const input: Tensor = { dtype: "float32", dims: [3], data: new Float32Array([1.5, -0, Number.NaN]) };
    const output = await roundTrip(ELEM.float32, input);
    expect(output.dtype).toBe("float32");
    expect(output.dims).toEqual([3]);
    expect(output.data).toBeInstanceOf(Float32Array);
    expect(Buffer.from(output.data.buffer, output.data.byteOffset, 12)).toEqual(
      Buffer.from(input.data.buffer),
    );
  });

  it("behavior: every protocol dtype survives a run through onnxruntime", async () => {
    const cases: [number, Tensor][] = [
      [ELEM.uint8, { dtype: "uint8", dims: [2], data: new Uint8Array([0, 255]) }],
      [ELEM.int8, { dtype: "int8", dims: [2], data: new Int8Array([-128, 127]) }],
      [ELEM.int32, { dtype: "int32", dims: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
      [ELEM.int64, { dtype: "int64", dims: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) }],
      [ELEM.float64, { dtype: "float64", dims: [2], data: new Float64Array([Math.PI, -1e300]) }],
      [ELEM.bool, { dtype: "bool", dims: [2], data: new Uint8Array([1, 0]) }],
      // float16 bits: 1.0, -2.0, a NaN with payload.
      [ELEM.float16, { dtype: "float16", dims: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7e01]) }],
    ];
    for (const [elemType, input] of cases) {
      const output = await roundTrip(elemType, input);
      expect(output.dtype, input.dtype).toBe(input.dtype);
      expect(output.data.constructor, input.dtype).toBe(input.data.constructor);
      expect([...output.data], input.dtype).toEqual([...input.data]);
    }
  });

  it("behavior: int64, bool and float16 through real operators", async () => {
    const session = await ort.InferenceSession.create(mixedModel());
    const outputs = fromOrtResults(
      await session.run(
        toOrtFeeds({
          ids: { dtype: "int64", dims: [2], data: new BigInt64Array([5n, -7n]) },
          mask: { dtype: "bool", dims: [2], data: new Uint8Array([1, 0]) },
          half: { dtype: "float16", dims: [2], data: new Uint16Array([0x3c00, 0x4000]) },
        }),
      ),
    );
    await session.release();
    expect(outputs["ids_out"]).toEqual({ dtype: "int64", dims: [2], data: new BigInt64Array([5n, -7n]) });
    expect(outputs["mask_out"]).toEqual({ dtype: "bool", dims: [2], data: new Uint8Array([0, 1]) });
    expect(outputs["half_out"]).toEqual({
      dtype: "float16",
      dims: [2],
      data: new Uint16Array([0x3c00, 0x4000]),
    });
  });

  it("error: unsupported output types", () => {
    const strings = new ort.Tensor("string", ["a"], [1]);
    expect(() => fromOrtTensor(strings, "names")).toThrow(/Output "names" has unsupported type string/);
  });
});
