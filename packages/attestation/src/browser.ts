/**
 * @opg/attestation/browser: reading a TEE result's proof without Node: decode the proof and its
 * Nitro attestation document (PCRs, certificate, CA bundle), the COSE bytes its signature covers,
 * the on-chain measurement of its PCRs, and @peculiar/x509 (WebCrypto) to check certificates.
 */
export type { CoseSign1 } from "./cose/CoseSign1.js";
export { coseSign1ToBeSigned } from "./cose/CoseSign1.js";
export type { NitroDocument } from "./document/NitroDocument.js";
export type { ParsedAttestation } from "./document/parseAttestation.js";
export { parseAttestation } from "./document/parseAttestation.js";
export { enclaveMeasurement } from "./policy/PcrAllowlist.js";
export type { TeeProof } from "./proof/TeeProof.js";
export { decodeTeeProof } from "./proof/TeeProof.js";
export { AWS_NITRO_ROOT_SHA256 } from "./x509/awsNitroRoot.js";
export { x509 } from "./x509/peculiar.js";
