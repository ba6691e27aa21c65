import { keccak256Bytes } from "@opg/protocol";
import type { Hex } from "viem";

/**
 * The fixed start of a well-formed result message (deterministic CBOR, docs/protocol.md
 * "Gossip"): array(12), version 1, kind RESULT, then requestId, modelId, inputHash and outputHash
 * as 32-byte strings and the executor as a 20-byte string. Strict decoding admits no other
 * encoding of these fields, so any message that decodes starts exactly like this.
 */
const LAYOUT: readonly [offset: number, byte: number][] = [
  [0, 0x8c],
  [1, 0x01],
  [2, 0x01],
  [3, 0x58],
  [4, 0x20],
  [37, 0x58],
  [38, 0x20],
  [71, 0x58],
  [72, 0x20],
  [105, 0x58],
  [106, 0x20],
  [139, 0x54],
];
const HEADER_BYTES = 160;

/**
 * The resultHash of a result message read from its header bytes alone (no decoding, one keccak
 * of 160 bytes): what the verifier's duplicate check needs before it hands the message to a
 * validation worker. Undefined when the message does not start like a result message (it then
 * fails decoding). Equal to `resultHash(decodeResultMessage(bytes))` for every message that decodes.
 */
export function peekResultHash(bytes: Uint8Array): Hex | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  for (const [at, byte] of LAYOUT) if (bytes[at] !== byte) return undefined;
  // abi.encode(requestId, modelId, inputHash, outputHash, executor): four words, then the address
  // right-aligned in the fifth.
  const words = new Uint8Array(160);
  words.set(bytes.subarray(5, 37), 0);
  words.set(bytes.subarray(39, 71), 32);
  words.set(bytes.subarray(73, 105), 64);
  words.set(bytes.subarray(107, 139), 96);
  words.set(bytes.subarray(140, 160), 140);
  return keccak256Bytes(words);
}
