import type { DType, TensorMap } from "./dtype.js";

/**
 * Input dtypes a ZK proof binds and the on-chain adapter parses: float32 (quantized as
 * floor(x·2^s + 1/2)) and uint8 (e.g. pixels, packed 31 per field element). float64 could pass a
 * verifier quorum but never settle on chain, and float64 values rounding to one float32 would
 * share a proof; which of the two a model takes is its circuit's (the prover checks it).
 */
export const ZK_INPUT_DTYPES: readonly DType[] = ["float32", "uint8"];

/** The first input whose dtype a ZK proof cannot bind, or undefined when every input is bindable. */
export function unbindableZkInput(tensors: TensorMap): { name: string; dtype: DType } | undefined {
  for (const [name, t] of Object.entries(tensors)) {
    if (!ZK_INPUT_DTYPES.includes(t.dtype)) return { name, dtype: t.dtype };
  }
  return undefined;
}
