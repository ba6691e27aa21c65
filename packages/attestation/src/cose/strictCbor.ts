import { type DecodeOptions, decode } from "cbor2";

/**
 * Decoding options for untrusted attestation bytes: maps always as `Map` (no prototype tricks
 * with string keys), duplicate keys rejected, shallow nesting, no tags (they decode to `Tag`
 * objects that no field accepts), no floats, no simple values but true/false/null, no bignums.
 * Indefinite-length items are accepted: Nitro documents from 2025 on use an indefinite map.
 */
export const STRICT_DECODE_OPTIONS: DecodeOptions = {
  preferMap: true,
  rejectDuplicateKeys: true,
  maxDepth: 8,
  ignoreGlobalTags: true,
  rejectFloats: true,
  rejectSimple: true,
  rejectUndefined: true,
  rejectBigInts: true,
};

/** Decodes one CBOR item (no trailing bytes) with STRICT_DECODE_OPTIONS; throws what cbor2 throws. */
export function decodeStrict(bytes: Uint8Array): unknown {
  return decode(bytes, STRICT_DECODE_OPTIONS);
}
