import type { Hex } from "viem";
import type { TensorMap } from "../tensor/dtype.js";
import { encodeTensors } from "../tensor/encoding.js";
import type { TensorLimits } from "../tensor/limits.js";
import { keccak256Bytes } from "./keccak.js";

/** keccak256 of the canonical encoding: `inputHash` of inputs, `outputHash` of outputs. */
export function hashTensors(tensors: TensorMap, limits?: TensorLimits): Hex {
  return keccak256Bytes(encodeTensors(tensors, limits));
}

/** keccak256 of bytes already in canonical encoding. */
export function hashEncodedTensors(encoded: Uint8Array): Hex {
  return keccak256Bytes(encoded);
}
