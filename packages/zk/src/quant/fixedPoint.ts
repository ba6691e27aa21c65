import { ZkError } from "../ZkError.js";

/**
 * Fixed point: a real x is the integer q = floor(x * 2^scaleBits + 1/2) (round half up).
 * `x * 2^scaleBits` is exact in float64 (power-of-two scaling), so quantization is
 * deterministic on every platform.
 */
export function quantize(x: number, scaleBits: number): bigint {
  if (!Number.isFinite(x)) {
    throw new ZkError("INVALID_INPUT", `Cannot quantize a non-finite value (${x}).`);
  }
  const scaled = x * 2 ** scaleBits;
  if (Math.abs(scaled) >= 2 ** 52) {
    throw new ZkError("QUANTIZATION_OVERFLOW", `Value ${x} is too large for scale 2^${scaleBits}.`);
  }
  return BigInt(Math.floor(scaled + 0.5));
}

/** The real value of a fixed-point integer at scale 2^scaleBits (exact while |q| < 2^53). */
export function dequantize(q: bigint, scaleBits: number): number {
  return Number(q) / 2 ** scaleBits;
}

/** The number of bits of |v| (0 for 0). */
export function bitLength(v: bigint): number {
  let a = v < 0n ? -v : v;
  let n = 0;
  while (a > 0n) {
    a >>= 1n;
    n++;
  }
  return n;
}

/** True when q lies in the signed range [-2^(bits-1), 2^(bits-1)). */
export function inSignedRange(q: bigint, bits: number): boolean {
  const half = 1n << BigInt(bits - 1);
  return q >= -half && q < half;
}
