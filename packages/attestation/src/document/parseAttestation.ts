import type { Hex } from "viem";
import { type CoseSign1, parseCoseSign1 } from "../cose/CoseSign1.js";
import { decodeStrict } from "../cose/strictCbor.js";
import { AttestationError } from "../errors/AttestationError.js";
import { sha256Hex } from "../util/bytes.js";
import {
  DEFAULT_NITRO_LIMITS,
  type NitroDocument,
  type NitroLimits,
  toNitroDocument,
} from "./NitroDocument.js";

/** A syntactically valid attestation document whose signature and chain are NOT yet checked. */
export type ParsedAttestation = {
  cose: CoseSign1;
  document: NitroDocument;
  /**
   * The document's identity: sha256 of the signed payload bytes. It leaves out the signature,
   * because ECDSA signatures are malleable (r, s) → (r, n − s): two byte-different documents can
   * carry the same signed content, and must have the same id.
   */
  attestationId: Hex;
};

/** Size cap, COSE_Sign1 structure, payload fields. Throws AttestationError (TOO_LARGE, BAD_CBOR, BAD_COSE, BAD_DOCUMENT). */
export function parseAttestation(
  bytes: Uint8Array,
  limits: NitroLimits = DEFAULT_NITRO_LIMITS,
): ParsedAttestation {
  if (bytes.length > limits.documentBytes) {
    throw new AttestationError(
      "TOO_LARGE",
      `Attestation document of ${bytes.length} bytes exceeds ${limits.documentBytes}.`,
    );
  }
  const cose = parseCoseSign1(bytes);
  let payload: unknown;
  try {
    payload = decodeStrict(cose.payload);
  } catch (cause) {
    throw new AttestationError("BAD_CBOR", "The attestation payload is not well-formed CBOR.", { cause });
  }
  return { cose, document: toNitroDocument(payload, limits), attestationId: sha256Hex(cose.payload) };
}
