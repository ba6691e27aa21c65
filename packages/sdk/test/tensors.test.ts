import {
  decodeTensors,
  encodeTensors,
  hashTensors,
  OpgError,
  TensorError,
  type TensorMap,
  tensorsToJson,
} from "@opg/protocol";
import fc from "fast-check";
import { bytesToHex } from "viem";
import { describe, expect, it } from "vitest";
import { decodeTensorBytes, encodeTensorInput, OpgSdkError, toTensorMap } from "../src/index.js";

const typed: TensorMap = {
  x: { dtype: "float32", dims: [1, 3], data: new Float32Array([0.5, -1.25, Number.NaN]) },
  ids: { dtype: "int64", dims: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
  mask: { dtype: "bool", dims: [2], data: new Uint8Array([1, 0]) },
};

describe("tensor input", () => {
  it("default: typed tensors, their JSON forms (array and base64) and mixes encode identically", () => {
    const expected = encodeTensors(typed);
    const asArray = tensorsToJson(typed, "array");
    const asBase64 = tensorsToJson(typed, "base64");
    for (const input of [
      typed,
      asBase64,
      { x: typed["x"]!, ids: asArray["ids"]!, mask: asBase64["mask"]! },
    ]) {
      const encoded = encodeTensorInput(input);
      expect(encoded.bytes).toEqual(expected);
      expect(encoded.hex).toBe(bytesToHex(expected));
      expect(encoded.hash).toBe(hashTensors(typed));
    }
  });

  it("default: decodeTensorBytes inverts the canonical encoding (hex or bytes)", () => {
    const encoded = encodeTensors(typed);
    for (const input of [encoded, bytesToHex(encoded)]) {
      const decoded = decodeTensorBytes(input);
      expect(encodeTensors(decoded)).toEqual(encoded);
      expect(Object.keys(decoded).sort()).toEqual(["ids", "mask", "x"]);
    }
  });

  it("behavior: the base64 JSON form is bit-exact for any float32 (property); the array form loses -0", () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 16 }), (v) => {
        const t: TensorMap = { v: { dtype: "float32", dims: [v.length], data: v } };
        const viaJson = JSON.parse(JSON.stringify(tensorsToJson(t, "base64")));
        expect(encodeTensorInput(viaJson).hash).toBe(hashTensors(t));
      }),
    );
    // JSON has no -0 (and no NaN): why the SDK talks base64 to executors.
    const negZero: TensorMap = { v: { dtype: "float32", dims: [1], data: new Float32Array([-0]) } };
    const viaArray = JSON.parse(JSON.stringify(tensorsToJson(negZero, "array")));
    expect(encodeTensorInput(viaArray).hash).not.toBe(hashTensors(negZero));
  });

  it("error: the wrong typed array for a dtype is INVALID_ARGUMENT", () => {
    const bad = { x: { dtype: "float32", dims: [2], data: new Int32Array([1, 2]) } } as unknown as TensorMap;
    expect(() => toTensorMap(bad)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", name: "OpgSdkError" }),
    );
  });

  it("error: tensor rule violations are INVALID_ARGUMENT with the protocol's TensorError as cause", () => {
    const cases: unknown[] = [
      { x: { dtype: "float32", dims: [3], data: [1, 2] } },
      { x: { dtype: "complex64", dims: [1], data: [1] } },
      { x: { dtype: "uint8", dims: [1], data: [256] } },
      { x: { dtype: "float32", dims: [1], data: "not base64!" } },
      { "": { dtype: "float32", dims: [1], data: [1] } },
      { x: { dtype: "float32", dims: [2], data: new Float32Array(3) } },
      [],
      { x: null },
    ];
    for (const input of cases) {
      let error: unknown;
      try {
        encodeTensorInput(input as TensorMap);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(input)).toBeInstanceOf(OpgSdkError);
      expect((error as OpgSdkError).code).toBe("INVALID_ARGUMENT");
      expect(error).toBeInstanceOf(OpgError);
    }
    let cause: unknown;
    try {
      encodeTensorInput({ x: { dtype: "float32", dims: [3], data: [1, 2] } });
    } catch (e) {
      cause = (e as OpgSdkError).cause;
    }
    expect(cause).toBeInstanceOf(TensorError);
  });

  it("error: decodeTensorBytes is strict (trailing bytes, bad hex)", () => {
    const encoded = encodeTensors(typed);
    expect(() => decodeTensorBytes(new Uint8Array([...encoded, 0]))).toThrow(TensorError);
    expect(() => decodeTensorBytes("0xzz" as `0x${string}`)).toThrow(TensorError);
    expect(decodeTensors(encoded)).toBeDefined();
  });
});
