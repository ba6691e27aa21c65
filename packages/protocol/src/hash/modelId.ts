import { bytesToHex, type Hex } from "viem";
import { sha256Backend } from "./sha256.js";

/** `modelId` of ONNX file bytes: sha256 as a 0x-prefixed bytes32. */
export function modelIdFromBytes(bytes: Uint8Array): Hex {
  return bytesToHex(sha256Backend.hash(bytes));
}
