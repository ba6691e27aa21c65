import { encode } from "cbor2";
import { concatBytes, plainBytes } from "../util/bytes.js";
import type { NitroDocument } from "./NitroDocument.js";

/**
 * Encodes a document payload the way current NSMs do (2025 on): an indefinite-length map
 * (`0xbf … 0xff`) with the keys in the NSM's order, PCRs as a definite map by ascending index,
 * byte strings as plain major-type-2 strings, and `null` for absent optional fields.
 */
export function encodeNitroDocument(document: NitroDocument): Uint8Array {
  const parts: Uint8Array[] = [INDEFINITE_MAP];
  const entry = (key: string, value: unknown) => {
    parts.push(encode(key), encode(value));
  };
  entry("module_id", document.moduleId);
  entry("digest", document.digest);
  entry("timestamp", document.timestamp);
  entry("pcrs", new Map([...document.pcrs].sort(([a], [b]) => a - b).map(([i, v]) => [i, plainBytes(v)])));
  entry("certificate", plainBytes(document.certificate));
  entry("cabundle", document.cabundle.map(plainBytes));
  entry("public_key", optional(document.publicKey));
  entry("user_data", optional(document.userData));
  entry("nonce", optional(document.nonce));
  parts.push(BREAK);
  return concatBytes(parts);
}

const INDEFINITE_MAP = new Uint8Array([0xbf]);
const BREAK = new Uint8Array([0xff]);

function optional(bytes: Uint8Array | undefined): Uint8Array | null {
  return bytes === undefined ? null : plainBytes(bytes);
}
