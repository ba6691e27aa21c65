import type { Address, Hex } from "viem";
import { writeHex } from "../hex/writeHex.js";
import { keccak256Bytes } from "./keccak.js";

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
  // The five static words written directly (the bytes `encodeAbiParameters` gives, checked by the
  // test vectors) and hashed by the keccak backend: both daemons hash every result.
  const out = new Uint8Array(160);
  putWord(out, 0, r.requestId, 32);
  putWord(out, 32, r.modelId, 32);
  putWord(out, 64, r.inputHash, 32);
  putWord(out, 96, r.outputHash, 32);
  putWord(out, 128, r.executor, 20);
  return keccak256Bytes(out);
}

/** Writes `hex` (exactly `size` bytes) right-aligned in the 32-byte word at `offset`. */
function putWord(out: Uint8Array, offset: number, value: string, size: number): void {
  if (!writeHex(out, offset + 32 - size, value, size)) {
    throw new TypeError(`resultHash: ${value} is not ${size} bytes of hex`);
  }
}
