/**
 * The three caller-chosen fields of an attestation request, exactly those of the NSM
 * `Attestation` request. Each is at most 1024 bytes (the NSM's limit).
 */
export type AttestOptions = {
  /** Goes into `public_key`; for opg the enclave key (65-byte uncompressed secp256k1 point). */
  publicKey?: Uint8Array;
  /** Goes into `user_data`; for the per-result binding the 32-byte `resultHash`. */
  userData?: Uint8Array;
  /** Goes into `nonce`; a verifier's challenge when it asked for one. */
  nonce?: Uint8Array;
};

/** The most bytes the NSM accepts in each of `publicKey`, `userData` and `nonce`. */
export const NSM_USER_FIELD_MAX_BYTES = 1024;

/**
 * Something that produces AWS Nitro attestation documents: the NSM device inside a real enclave,
 * or `DevEnclave` on a devnet. `attest` returns the COSE_Sign1 bytes exactly as produced (never
 * re-encoded), ready for `NitroAttestationVerifier.verify`.
 *
 * A real enclave plugs in by implementing this interface over the Nitro Secure Module:
 *
 * - The NSM is the character device `/dev/nsm`, present only inside an enclave. Requests are
 *   CBOR messages passed with an ioctl; AWS ships the wrapper as `libnsm` (crate `nsm-lib` of
 *   github.com/aws/aws-nitro-enclaves-nsm-api), a C ABI:
 *   `int32_t nsm_lib_init(void)` opens the device;
 *   `ErrorCode nsm_get_attestation_doc(int32_t fd, const uint8_t *user_data, uint32_t user_data_len,
 *   const uint8_t *nonce, uint32_t nonce_len, const uint8_t *pub_key, uint32_t pub_key_len,
 *   uint8_t *att_doc, uint32_t *att_doc_len)` fills a caller buffer (16 KiB is enough) and
 *   returns 0 (`Success`) or an error code; `void nsm_lib_exit(int32_t fd)` closes it.
 * - From Node, call it through a native addon (N-API, e.g. napi-rs over the `aws-nitro-enclaves-nsm-api`
 *   crate) or an FFI binding to `libnsm.so`; a zero-length field is passed as a null pointer
 *   (the NSM then leaves that field `null` in the document). Serialise calls: one request at a time per fd.
 * - `attest` maps `{publicKey, userData, nonce}` to those arguments and returns `att_doc` as is.
 *   Map a non-zero error code to a thrown error; never fall back to a dev document.
 * - The enclave key is generated inside the enclave (`EnclaveKey.generate()`; the kernel's RNG is
 *   fed by the NSM) and never leaves it; the host only relays documents and signed results over vsock.
 *
 * The enclave image's PCR0/1/2 come from `nitro-cli build-enclave` (printed as "Measurements");
 * they are what the model registry lists in the PCR allowlist.
 */
export interface EnclaveProvider {
  attest(options: AttestOptions): Promise<Uint8Array>;
}
