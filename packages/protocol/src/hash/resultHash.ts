import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";

/** The fields that identify one execution result; also the Merkle leaf values, in this order. */
export type ResultFields = {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  /** The executor's registered signing address. */
  executor: Address;
};

export const RESULT_ABI_TYPES = ["bytes32", "bytes32", "bytes32", "bytes32", "address"] as const;

export function resultValues(r: ResultFields): [Hex, Hex, Hex, Hex, Address] {
  return [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor];
}

/** `keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor))`. */
export function resultHash(r: ResultFields): Hex {
  return keccak256(
    encodeAbiParameters(
      RESULT_ABI_TYPES.map((type) => ({ type })),
      resultValues(r),
    ),
  );
}
