import { describe, expect, test } from "vitest";
import { bumpFees, bumpValue, capFees, isValidReplacement, type TxFees } from "../../src/tx/fees.js";

describe("fees", () => {
  test("default: bumpValue raises by the percentage, rounding up", () => {
    expect(bumpValue(100n, 10)).toBe(110n);
    expect(bumpValue(4294967296n, 10)).toBe(4724464026n); // what Hardhat asks for this replacement
    expect(bumpValue(101n, 12.5)).toBe(114n);
  });

  test("behavior: bumpValue always raises, even tiny values", () => {
    expect(bumpValue(0n, 10)).toBe(1n);
    expect(bumpValue(1n, 10)).toBe(2n);
  });

  test("behavior: bumpFees raises cap and tip by at least the percentage", () => {
    const previous: TxFees = { type: "eip1559", maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };
    const current: TxFees = { type: "eip1559", maxFeePerGas: 900n, maxPriorityFeePerGas: 50n };
    const next = bumpFees(previous, current, 10);
    expect(next).toEqual({ type: "eip1559", maxFeePerGas: 1_100n, maxPriorityFeePerGas: 110n });
    expect(isValidReplacement(previous, next, 10)).toBe(true);
  });

  test("behavior: bumpFees follows the network when it asks for more", () => {
    const previous: TxFees = { type: "eip1559", maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };
    const current: TxFees = { type: "eip1559", maxFeePerGas: 5_000n, maxPriorityFeePerGas: 300n };
    expect(bumpFees(previous, current, 10)).toEqual({
      type: "eip1559",
      maxFeePerGas: 5_000n,
      maxPriorityFeePerGas: 300n,
    });
  });

  test("behavior: legacy fees bump the gas price", () => {
    const next = bumpFees({ type: "legacy", gasPrice: 1_000n }, { type: "legacy", gasPrice: 10n }, 15);
    expect(next).toEqual({ type: "legacy", gasPrice: 1_150n });
  });

  test("behavior: capFees clamps, and a clamped bump is not a valid replacement", () => {
    const previous: TxFees = { type: "eip1559", maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };
    const capped = capFees(bumpFees(previous, previous, 10), 1_050n);
    expect(capped).toEqual({ type: "eip1559", maxFeePerGas: 1_050n, maxPriorityFeePerGas: 110n });
    expect(isValidReplacement(previous, capped, 10)).toBe(false);
    expect(capFees(previous, undefined)).toBe(previous);
  });
});
