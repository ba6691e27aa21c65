import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocTensorData,
  DEFAULT_TENSOR_LIMITS,
  DTYPES,
  type DType,
  decodeTensors,
  encodeTensors,
  hashTensors,
  type Tensor,
  TensorError,
  type TensorMap,
  tensorsFromJson,
  tensorsToJson,
} from "../src/index.js";

const dtypes = Object.keys(DTYPES) as DType[];

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorError);
    expect((e as TensorError).code).toBe(code);
    return;
  }
  throw new Error(`expected TensorError ${code}`);
}

const tensorArb: fc.Arbitrary<Tensor> = fc
  .tuple(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }))
  .chain(([dtype, dims]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return fc
      .uint8Array({ minLength: n * DTYPES[dtype].size, maxLength: n * DTYPES[dtype].size })
      .map((bytes) => {
        const data = allocTensorData(dtype, n);
        new Uint8Array(data.buffer).set(bytes);
        if (dtype === "bool") for (let i = 0; i < n; i++) (data as Uint8Array)[i]! &= 1;
        return { dtype, dims, data } as Tensor;
      });
  });

const mapArb: fc.Arbitrary<TensorMap> = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }), tensorArb, { maxKeys: 5 })
  .map((d) => Object.assign(Object.create(null), d));

function rawBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

describe("encodeTensors / decodeTensors", () => {
  it("default", () => {
    const bytes = encodeTensors({ x: { dtype: "float32", dims: [2], data: new Float32Array([1, -2]) } });
    expect(Buffer.from(bytes).toString("hex")).toBe(
      "01" + "0100" + "0100" + "78" + "01" + "01" + "02000000" + "0000803f" + "000000c0",
    );
    const back = decodeTensors(bytes);
    expect(back["x"]?.dtype).toBe("float32");
    expect([...(back["x"]!.data as Float32Array)]).toEqual([1, -2]);
  });

  it("behavior: names are sorted by UTF-8 bytes, whatever the insertion order", () => {
    const a = { dtype: "uint8", dims: [1], data: new Uint8Array([1]) } as const;
    const one = encodeTensors({ b: a, a, "\u{1F600}": a, "\uFFFD": a });
    const two = encodeTensors({ "\uFFFD": a, "\u{1F600}": a, a, b: a });
    expect(one).toEqual(two);
    expect(Object.keys(decodeTensors(one))).toEqual(["a", "b", "\uFFFD", "\u{1F600}"]);
  });

  it("behavior: floats are kept bit for bit (NaN payloads, -0)", () => {
    const data = new Float32Array(3);
    new DataView(data.buffer).setUint32(0, 0x7fc00001, true);
    data[1] = -0;
    data[2] = 1e-45;
    const back = decodeTensors(encodeTensors({ f: { dtype: "float32", dims: [3], data } }));
    expect(new Uint8Array(back["f"]!.data.buffer)).toEqual(new Uint8Array(data.buffer));
  });

  it("behavior: the hash changes with any byte of the outputs", () => {
    const t = (v: number): TensorMap => ({ y: { dtype: "float32", dims: [1], data: new Float32Array([v]) } });
    expect(hashTensors(t(1))).not.toBe(hashTensors(t(1.0000001)));
  });

  it("property: every tensor map round-trips to the same bytes", () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const bytes = encodeTensors(map);
        const back = decodeTensors(bytes);
        expect(Object.keys(back).sort()).toEqual(Object.keys(map).sort());
        for (const [name, t] of Object.entries(map)) {
          expect(back[name]!.dtype).toBe(t.dtype);
          expect(back[name]!.dims).toEqual(t.dims);
          expect(rawBytes(back[name]!)).toEqual(rawBytes(t));
        }
        expect(encodeTensors(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("property: random bytes decode to a map or a TensorError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeTensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(TensorError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("property: every truncation of a valid encoding is TRUNCATED", () => {
    fc.assert(
      fc.property(mapArb, fc.nat(), (map, cut) => {
        const bytes = encodeTensors(map);
        if (bytes.length < 2) return;
        const at = cut % bytes.length;
        expectCode(() => decodeTensors(bytes.subarray(0, at)), "TRUNCATED");
      }),
      { numRuns: 300 },
    );
  });

  it("error: trailing bytes", () => {
    const bytes = encodeTensors({ x: { dtype: "uint8", dims: [1], data: new Uint8Array([1]) } });
    expectCode(() => decodeTensors(new Uint8Array([...bytes, 0])), "TRAILING_BYTES");
  });

  it("error: unsorted and duplicate names", () => {
    // Hand-built: two tensors "b" then "a".
    const one = (name: number) => [1, 0, name, 2, 0, 7];
    expectCode(() => decodeTensors(new Uint8Array([1, 2, 0, ...one(0x62), ...one(0x61)])), "UNSORTED_NAMES");
    expectCode(() => decodeTensors(new Uint8Array([1, 2, 0, ...one(0x61), ...one(0x61)])), "DUPLICATE_NAME");
  });

  it("error: unknown dtype code, bad version, invalid UTF-8, bad bool", () => {
    expectCode(() => decodeTensors(new Uint8Array([1, 1, 0, 1, 0, 0x61, 8, 0])), "UNSUPPORTED_DTYPE");
    expectCode(() => decodeTensors(new Uint8Array([2, 0, 0])), "BAD_VERSION");
    expectCode(() => decodeTensors(new Uint8Array([1, 1, 0, 1, 0, 0xff, 2, 0, 0])), "BAD_NAME");
    expectCode(() => decodeTensors(new Uint8Array([1, 1, 0, 1, 0, 0x61, 9, 0, 2])), "BAD_BOOL");
    expectCode(
      () => encodeTensors({ m: { dtype: "bool", dims: [1], data: new Uint8Array([2]) } }),
      "BAD_BOOL",
    );
  });

  it("error: limits on rank, elements, bytes and count", () => {
    const limits = { ...DEFAULT_TENSOR_LIMITS, maxRank: 2, maxElements: 10, maxBytes: 64, maxTensors: 2 };
    const t = (dims: number[]): Tensor => ({
      dtype: "uint8",
      dims,
      data: new Uint8Array(dims.reduce((a, b) => a * b, 1)),
    });
    expectCode(() => encodeTensors({ x: t([1, 1, 1]) }, limits), "RANK_LIMIT");
    expectCode(() => encodeTensors({ x: t([11]) }, limits), "ELEMENT_LIMIT");
    expectCode(() => encodeTensors({ x: t([10]), y: t([10]) }, { ...limits, maxBytes: 20 }), "BYTE_LIMIT");
    expectCode(() => encodeTensors({ x: t([1]), y: t([1]), z: t([1]) }, limits), "TOO_MANY_TENSORS");
    // A header that claims 2^32-1 x 2^32-1 elements is refused before any allocation.
    expectCode(
      () =>
        decodeTensors(new Uint8Array([1, 1, 0, 1, 0, 0x61, 2, 2, 255, 255, 255, 255, 255, 255, 255, 255])),
      "ELEMENT_LIMIT",
    );
  });

  it("error: data that does not match dims or dtype", () => {
    expectCode(
      () => encodeTensors({ x: { dtype: "float32", dims: [3], data: new Float32Array(2) } }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(
      () =>
        encodeTensors({ x: { dtype: "float32", dims: [2], data: new Float64Array(2) } as unknown as Tensor }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(
      () => encodeTensors({ x: { dtype: "float32", dims: [1.5], data: new Float32Array(1) } }),
      "BAD_DIM",
    );
    expectCode(
      () =>
        encodeTensors({
          x: { dtype: "complex64", dims: [1], data: new Float32Array(1) } as unknown as Tensor,
        }),
      "UNSUPPORTED_DTYPE",
    );
    expectCode(
      () => encodeTensors({ "": { dtype: "uint8", dims: [1], data: new Uint8Array(1) } }),
      "BAD_NAME",
    );
  });
});

describe("tensorsFromJson / tensorsToJson", () => {
  it("default: array and base64 forms give the same canonical bytes", () => {
    const map: TensorMap = {
      x: { dtype: "float32", dims: [2], data: new Float32Array([0.1, -2]) },
      ids: { dtype: "int64", dims: [2], data: new BigInt64Array([2n ** 62n, -1n]) },
      m: { dtype: "bool", dims: [1], data: new Uint8Array([1]) },
    };
    const bytes = encodeTensors(map);
    expect(encodeTensors(tensorsFromJson(JSON.parse(JSON.stringify(tensorsToJson(map)))))).toEqual(bytes);
    expect(encodeTensors(tensorsFromJson(tensorsToJson(map, "base64")))).toEqual(bytes);
  });

  it("error: wrong shapes, types and values are TensorErrors", () => {
    expectCode(() => tensorsFromJson([]), "BAD_NAME");
    expectCode(() => tensorsFromJson({ x: { dtype: "complex", dims: [1], data: [1] } }), "UNSUPPORTED_DTYPE");
    expectCode(
      () => tensorsFromJson({ x: { dtype: "float32", dims: [2], data: [1] } }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(
      () => tensorsFromJson({ x: { dtype: "uint8", dims: [1], data: [256] } }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(
      () => tensorsFromJson({ x: { dtype: "int32", dims: [1], data: [1.5] } }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(
      () => tensorsFromJson({ x: { dtype: "int64", dims: [1], data: ["x"] } }),
      "DATA_LENGTH_MISMATCH",
    );
    expectCode(() => tensorsFromJson({ x: { dtype: "float32", dims: [-1], data: [] } }), "BAD_DIM");
    expectCode(
      () => tensorsFromJson({ x: { dtype: "float32", dims: [2 ** 20, 2 ** 20], data: [] } }),
      "ELEMENT_LIMIT",
    );
    expectCode(
      () => tensorsFromJson({ x: { dtype: "float32", dims: [1], data: "AAAA AA" } }),
      "DATA_LENGTH_MISMATCH",
    );
  });
});

describe("keccak256 of tensor encodings", () => {
  it("default: the native backend loads here and agrees with viem's keccak256", async () => {
    const { keccakBackend, keccak256Bytes } = await import("../src/index.node.js");
    const { keccak256 } = await import("viem");
    expect(keccakBackend.name).toBe("xkcp");
    for (const n of [0, 1, 135, 136, 137, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      expect(keccak256Bytes(bytes)).toBe(keccak256(bytes));
    }
  });

  it("behavior: @opg/protocol resolves to the Node entry under Node, whose backends are native", async () => {
    const protocol = await import("@opg/protocol");
    expect(protocol.keccakBackend.name).toBe("xkcp");
    expect(protocol.secp256k1Backend.name).toBe("libsecp256k1");
    expect(protocol.sha256Backend.name).toBe("node");
  });

  it("behavior: the pure-JS backends of the platform-agnostic entry give the same digests", async () => {
    const { jsKeccakBackend, jsSha256Backend, keccakBackend, sha256Backend, bytesToBase64, base64ToBytes } =
      await import("../src/index.node.js");
    for (const n of [0, 1, 137, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
      expect(jsKeccakBackend.hash(bytes)).toBe(keccakBackend.hash(bytes));
      expect(jsSha256Backend.hash(bytes)).toEqual(new Uint8Array(sha256Backend.hash(bytes)));
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    }
  });
});
