import type { TensorMap } from "@opg/protocol";
import { describe, expect, it } from "vitest";
import { batchKey, batchRows, concatBatch, splitBatch } from "../src/index.js";

const request = (rows: number, start: number): TensorMap => ({
  x: {
    dtype: "float32",
    dims: [rows, 2],
    data: Float32Array.from({ length: rows * 2 }, (_, i) => start + i),
  },
  ids: {
    dtype: "int64",
    dims: [rows],
    data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(start + i)),
  },
});

describe("batchTensors", () => {
  it("default", () => {
    const batch = concatBatch([request(1, 0), request(2, 10)]);
    expect(batch["x"]).toEqual({
      dtype: "float32",
      dims: [3, 2],
      data: new Float32Array([0, 1, 10, 11, 12, 13]),
    });
    expect(batch["ids"]).toEqual({ dtype: "int64", dims: [3], data: new BigInt64Array([0n, 10n, 11n]) });
    const parts = splitBatch(batch, [1, 2]);
    expect(parts).toEqual([request(1, 0), request(2, 10)]);
  });

  it("behavior: rows and keys", () => {
    expect(batchRows(request(3, 0))).toBe(3);
    expect(
      batchRows({
        a: { dtype: "uint8", dims: [2], data: new Uint8Array(2) },
        b: { dtype: "uint8", dims: [3], data: new Uint8Array(3) },
      }),
    ).toBeUndefined();
    expect(batchRows({ s: { dtype: "uint8", dims: [], data: new Uint8Array(1) } })).toBeUndefined();
    expect(batchKey(request(1, 0))).toBe(batchKey(request(5, 3)));
    const wider = { x: { dtype: "float32", dims: [1, 3], data: new Float32Array(3) } } as TensorMap;
    expect(batchKey(wider)).not.toBe(batchKey({ x: request(1, 0)["x"] } as TensorMap));
  });

  it("error: outputs whose dim 0 is not the batch cannot be split", () => {
    const outputs: TensorMap = { y: { dtype: "float32", dims: [2, 3], data: new Float32Array(6) } };
    expect(splitBatch(outputs, [1, 2])).toBeUndefined();
  });
});
