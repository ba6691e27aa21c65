export type { CoseSign1 } from "./cose/CoseSign1.js";
export {
  COSE_ALG_ES384,
  coseSign1ToBeSigned,
  ES384_PROTECTED_HEADER,
  ES384_SIGNATURE_BYTES,
  encodeCoseSign1,
  parseCoseSign1,
} from "./cose/CoseSign1.js";
export type { DevEnclaveOptions } from "./dev/DevEnclave.js";
export { DevEnclave, defaultDevEnclaveOptions, devEnclavePcrs } from "./dev/DevEnclave.js";
export { DEV_ROOT_CERT_FILE, DEV_ROOT_KEY_FILE, DevRoot, readDevRootPem } from "./dev/DevRoot.js";
export { encodeNitroDocument } from "./document/encodeNitroDocument.js";
export type { NitroDocument, NitroLimits } from "./document/NitroDocument.js";
export { DEFAULT_NITRO_LIMITS, NITRO_DIGEST, PCR_BYTES } from "./document/NitroDocument.js";
export type { ParsedAttestation } from "./document/parseAttestation.js";
export { parseAttestation } from "./document/parseAttestation.js";
export { ENCLAVE_PUBLIC_KEY_BYTES, EnclaveKey, enclaveAddressFromPublicKey } from "./enclave/EnclaveKey.js";
export type { AttestOptions, EnclaveProvider } from "./enclave/EnclaveProvider.js";
export { NSM_USER_FIELD_MAX_BYTES } from "./enclave/EnclaveProvider.js";
export type { AttestationConfigErrorCode } from "./errors/AttestationConfigError.js";
export { AttestationConfigError } from "./errors/AttestationConfigError.js";
export type { AttestationErrorCode } from "./errors/AttestationError.js";
export { AttestationError, attestationErrorAction } from "./errors/AttestationError.js";
export type { AttestationPolicy } from "./policy/checkAttestationPolicy.js";
export { checkAttestationPolicy, DEFAULT_MAX_FUTURE_SKEW_MS } from "./policy/checkAttestationPolicy.js";
export type { PcrAllowlist, PcrSet } from "./policy/PcrAllowlist.js";
export {
  allowlistHasMeasurement,
  enclaveMeasurement,
  isDebugEnclave,
  matchesPcrAllowlist,
  pcrSetOf,
} from "./policy/PcrAllowlist.js";
export type { EnclaveKeyRecord } from "./proof/EnclaveKeyRecord.js";
export { enclaveKeyRecord, toEnclaveRegistration } from "./proof/EnclaveKeyRecord.js";
export type { TeeProof } from "./proof/TeeProof.js";
export {
  ATTESTATION_ID_BYTES,
  decodeTeeProof,
  ENCLAVE_SIGNATURE_BYTES,
  encodeTeeProof,
  TEE_PROOF_VERSION,
  TeeBindingCode,
} from "./proof/TeeProof.js";
export type { TeeProverOptions } from "./proof/TeeProver.js";
export { defaultTeeProverOptions, TeeProver } from "./proof/TeeProver.js";
export type { TeeVerification, TeeVerifierOptions, VerifyTeeProofInput } from "./proof/TeeVerifier.js";
export { defaultTeeVerifierOptions, TeeVerifier } from "./proof/TeeVerifier.js";
export type { BytesLike } from "./util/bytes.js";
export type {
  NitroAttestationVerifierOptions,
  VerifiedAttestation,
  VerifyAttestationOptions,
} from "./verify/NitroAttestationVerifier.js";
export {
  defaultNitroAttestationVerifierOptions,
  NitroAttestationVerifier,
} from "./verify/NitroAttestationVerifier.js";
export { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./x509/awsNitroRoot.js";
export type { RootSource, TrustedRoot, TrustedRootsOptions } from "./x509/TrustedRoots.js";
export { certificateFingerprint, TrustedRoots } from "./x509/TrustedRoots.js";
export type { CertificateValidity, VerifiedChain } from "./x509/verifyCertificateChain.js";
export { checkChainValidity, verifyCertificateChain } from "./x509/verifyCertificateChain.js";
