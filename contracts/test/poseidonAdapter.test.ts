/**
 * PoseidonGroth16Adapter without a circuit: configuration checks, the canonical tensor parsing and the exact
 * float32 quantization (against the TypeScript definition q = floor(x * 2^s + 1/2)). The whole adapter with
 * real hashers, a real verifier and a real proof runs in packages/exec-node's on-chain ZK e2e test.
 */
import { encodeTensors, type TensorMap } from "@opg/protocol";
import fc from "fast-check";
import { bytesToHex, encodeAbiParameters, type Hex, keccak256, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { expectRevert } from "./helpers/errors.js";
import { connect } from "./helpers/fixture.js";

const conn = await connect();
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const SCALE = 16;
const VALUE_BITS = 40;
const MODEL = keccak256(toHex("zk-model"));

/** The canonical encoding of one tensor, split into header and element bytes. */
function encodeOne(t: TensorMap): { bytes: Hex; header: Hex } {
  const bytes = encodeTensors(t);
  const tensor = Object.values(t)[0]!;
  const header = bytes.subarray(0, bytes.length - tensor.data.byteLength);
  return { bytes: bytesToHex(bytes), header: bytesToHex(header) };
}

const floats = (data: number[]) =>
  encodeOne({ x: { dtype: "float32", dims: [1, data.length], data: Float32Array.from(data) } });
const ints = (data: bigint[]) =>
  encodeOne({ y: { dtype: "int64", dims: [1, data.length], data: BigInt64Array.from(data) } });

/** @opg/zk's quantize for a float32 value (exact in float64 for float32 inputs). */
function referenceQuantize(x: number): bigint | undefined {
  if (!Number.isFinite(x)) return undefined;
  const scaled = x * 2 ** SCALE;
  if (Math.abs(scaled) >= 2 ** 52) return undefined;
  const q = BigInt(Math.floor(scaled + 0.5));
  const half = 1n << BigInt(VALUE_BITS - 1);
  return q >= -half && q < half ? q : undefined;
}

async function deploy(overrides: Record<string, unknown> = {}) {
  const viem = conn.viem;
  const snark = await viem.deployContract("MockGroth16Verifier", [4n, 7n]);
  // Any contract with code stands in for the hashers here: these tests never reach a hash.
  const config = {
    modelId: MODEL,
    groth16Verifier: snark.address,
    verificationKeyHash: keccak256("0x0123"),
    inputHeader: floats([0, 0, 0, 0]).header,
    inputSize: 4,
    outputHeader: ints([0n, 0n, 0n]).header,
    outputSize: 3,
    scaleBits: SCALE,
    valueBits: VALUE_BITS,
    fullBlockHasher: zeroAddress,
    inputTailHasher: snark.address,
    outputTailHasher: snark.address,
    ...overrides,
  };
  return { adapter: await viem.deployContract("PoseidonGroth16Adapter", [config]), snark };
}

describe("PoseidonGroth16Adapter", () => {
  it("default: parses the model's tensors into field elements (negatives as p - |q|)", async () => {
    const { adapter } = await deploy();
    const [ok, x] = await adapter.read.quantizedInput([floats([1, -0.5, 0.25, -3.0000152587890625]).bytes]);
    expect(ok).toBe(true);
    expect(x).toEqual([65536n, P - 32768n, 16384n, P - 196609n]);
    const [okOut, y] = await adapter.read.quantizedOutput([ints([5n, -7n, 0n]).bytes]);
    expect(okOut).toBe(true);
    expect(y).toEqual([5n, P - 7n, 0n]);
  });

  it("behavior: a uint8 input is packed 31 bytes per field element, little-endian, like @opg/zk packInput", async () => {
    const data = Uint8Array.from({ length: 40 }, (_, i) => (i * 53 + 7) % 256);
    const input = encodeOne({ px: { dtype: "uint8", dims: [1, 40], data } });
    const { adapter } = await deploy({ inputHeader: input.header, inputSize: 40 });
    expect(await adapter.read.inputPacked()).toBe(true);
    const [ok, x] = await adapter.read.quantizedInput([input.bytes]);
    expect(ok).toBe(true);
    const pack = (bytes: Uint8Array) => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
    expect(x).toEqual([pack(data.subarray(0, 31)), pack(data.subarray(31))]);
    // Another length is not this model's input.
    const short = encodeOne({ px: { dtype: "uint8", dims: [1, 39], data: data.subarray(0, 39) } });
    expect((await adapter.read.quantizedInput([short.bytes]))[0]).toBe(false);
  });

  it("error: tensors of another shape, dtype, name or length are not this model's", async () => {
    const { adapter } = await deploy();
    const bad = [
      floats([1, 2, 3]).bytes,
      encodeOne({ x: { dtype: "float32", dims: [4], data: new Float32Array(4) } }).bytes,
      encodeOne({ z: { dtype: "float32", dims: [1, 4], data: new Float32Array(4) } }).bytes,
      encodeOne({ x: { dtype: "float64", dims: [1, 4], data: new Float64Array(4) } }).bytes,
      `${floats([1, 2, 3, 4]).bytes}00` as Hex,
    ];
    for (const input of bad) expect((await adapter.read.quantizedInput([input]))[0]).toBe(false);
    expect((await adapter.read.quantizedOutput([ints([1n, 2n]).bytes]))[0]).toBe(false);
    // NaN, infinity and values beyond valueBits are refused.
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 24, -(2 ** 24) - 1]) {
      expect((await adapter.read.quantizedInput([floats([v, 0, 0, 0]).bytes]))[0]).toBe(false);
    }
  });

  it("property: quantize equals floor(x * 2^16 + 1/2) for every float32", async () => {
    const { adapter } = await deploy();
    const view = new DataView(new ArrayBuffer(4));
    const edge = [
      0, 0x80000000, 1, 0x80000001, 0x38000000, 0xb8000000, 0x37800000, 0xb7800000, 0x7f800000, 0x7fc00000,
    ];
    const samples = [...edge, ...fc.sample(fc.integer({ min: 0, max: 0xffffffff }), 150)];
    // Values near the rounding boundary: k/2^17 for small k.
    for (let k = -9; k <= 9; k++) {
      view.setFloat32(0, k / 2 ** 17, true);
      samples.push(view.getUint32(0, true));
    }
    for (const bits of samples) {
      view.setUint32(0, bits, true);
      const expected = referenceQuantize(view.getFloat32(0, true));
      const [ok, q] = await adapter.read.quantize([bits]);
      expect({ bits, ok, q }).toEqual({ bits, ok: expected !== undefined, q: expected ?? 0n });
    }
  });

  it("error: verifyResult is false, never a revert, for another model, bad tensors or a failing hasher", async () => {
    const { adapter } = await deploy();
    const proof = encodeAbiParameters(
      [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }],
      [
        [7n, 0n],
        [
          [0n, 0n],
          [0n, 0n],
        ],
        [0n, 0n],
      ],
    );
    const input = floats([1, 2, 3, 4]).bytes;
    const output = ints([1n, 2n, 3n]).bytes;
    const verify = (modelId: Hex, inp: Hex) =>
      adapter.read.verifyResult([modelId, toHex(1n, { size: 32 }), inp, output, zeroAddress, proof]);
    expect(await verify(keccak256("0x01"), input)).toBe(false);
    expect(await verify(MODEL, floats([1, 2, 3]).bytes)).toBe(false);
    // The stand-in hasher does not answer a Poseidon call.
    expect(await verify(MODEL, input)).toBe(false);
    expect((await adapter.read.publicSignals([toHex(1n, { size: 32 }), input, output, zeroAddress]))[0]).toBe(
      false,
    );
  });

  it("error: the constructor refuses configurations the circuit cannot have", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ groth16Verifier: zeroAddress }, "groth16Verifier has no code"],
      [{ scaleBits: 0 }, "scaleBits not in [1, 24]"],
      [{ valueBits: SCALE }, "valueBits not in (scaleBits, 64]"],
      [{ inputSize: 5 }, "header dims do not match the size"],
      [{ inputHeader: ints([0n, 0n, 0n, 0n]).header }, "header has the wrong name or dtype"],
      [{ inputHeader: "0x0102" }, "header is not a one-tensor encoding"],
      [{ inputTailHasher: zeroAddress }, "inputTailHasher has no code"],
      [
        { inputHeader: floats(new Array(16).fill(0)).header, inputSize: 16, inputTailHasher: zeroAddress },
        "fullBlockHasher has no code",
      ],
    ];
    for (const [overrides, reason] of cases) {
      await expectRevert(deploy(overrides), "InvalidAdapterConfig", [reason]);
    }
  });
});
