/** Fees of one transaction: EIP-1559 or legacy. */
export type TxFees =
  | { type: "eip1559"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: "legacy"; gasPrice: bigint };

/** `value × (1 + percent/100)`, rounded up, and at least `value + 1`. */
export function bumpValue(value: bigint, percent: number): bigint {
  const factor = BigInt(Math.round((100 + percent) * 100));
  const bumped = (value * factor + 9_999n) / 10_000n;
  return bumped > value ? bumped : value + 1n;
}

/**
 * Fees for a replacement: every component raised by at least `percent` (nodes require ≥ 10 %
 * on both the fee cap and the tip), and never below what the network asks now.
 */
export function bumpFees(previous: TxFees, current: TxFees, percent: number): TxFees {
  if (previous.type === "legacy") {
    const now = current.type === "legacy" ? current.gasPrice : current.maxFeePerGas;
    return { type: "legacy", gasPrice: max(bumpValue(previous.gasPrice, percent), now) };
  }
  const nowTip = current.type === "eip1559" ? current.maxPriorityFeePerGas : current.gasPrice;
  const nowMax = current.type === "eip1559" ? current.maxFeePerGas : current.gasPrice;
  const maxPriorityFeePerGas = max(bumpValue(previous.maxPriorityFeePerGas, percent), nowTip);
  const maxFeePerGas = max(max(bumpValue(previous.maxFeePerGas, percent), nowMax), maxPriorityFeePerGas);
  return { type: "eip1559", maxFeePerGas, maxPriorityFeePerGas };
}

/** Clamps fees to `cap` (the most the operator will pay per gas). */
export function capFees(fees: TxFees, cap: bigint | undefined): TxFees {
  if (cap === undefined) return fees;
  if (fees.type === "legacy") return { type: "legacy", gasPrice: min(fees.gasPrice, cap) };
  const maxFeePerGas = min(fees.maxFeePerGas, cap);
  return {
    type: "eip1559",
    maxFeePerGas,
    maxPriorityFeePerGas: min(fees.maxPriorityFeePerGas, maxFeePerGas),
  };
}

/** The highest price per gas the fees allow (for logs and caps). */
export function feeCeiling(fees: TxFees): bigint {
  return fees.type === "legacy" ? fees.gasPrice : fees.maxFeePerGas;
}

/** True when `next` raises every component of `previous` by at least `percent`. */
export function isValidReplacement(previous: TxFees, next: TxFees, percent: number): boolean {
  if (previous.type === "legacy" || next.type === "legacy") {
    return feeCeiling(next) >= bumpValue(feeCeiling(previous), percent);
  }
  return (
    next.maxFeePerGas >= bumpValue(previous.maxFeePerGas, percent) &&
    next.maxPriorityFeePerGas >= bumpValue(previous.maxPriorityFeePerGas, percent)
  );
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
