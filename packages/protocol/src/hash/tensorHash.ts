import { type Hex, keccak256 } from "viem";
import type { TensorMap } from "../tensor/dtype.js";
import { encodeTensors } from "../tensor/encoding.js";
import type { TensorLimits } from "../tensor/limits.js";

/** keccak256 of the canonical encoding: `inputHash` of inputs, `outputHash` of outputs. */
export function hashTensors(tensors: TensorMap, limits?: TensorLimits): Hex {
  return keccak256(encodeTensors(tensors, limits));
}

/** keccak256 of bytes already in canonical encoding. */
export function hashEncodedTensors(encoded: Uint8Array): Hex {
  return keccak256(encoded);
}
