// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IQuorumErrors} from "./IQuorumErrors.sol";

/// @title IEnclaveRegistry
/// @notice TEE enclave keys vouched for by the verifier quorum: enclave key address → enclave image measurement
/// and expiry. Verifiers check an attestation document (certificate chain to a pinned root, signature,
/// freshness, not a debug enclave, PCRs allowed for a model) once, then f + 1 of them sign an EIP-712
/// `EnclaveRegistration` and anyone submits it here. Each TEE result is signed by the enclave key over its
/// `resultHash`, which is then cheap to check, also on chain ({checkEnclaveResult}).
interface IEnclaveRegistry is IQuorumErrors {
    /// @notice What verifiers sign (EIP-712 type `EnclaveRegistration`, in the hub's domain).
    /// @param enclave The enclave key's address (`keccak256(X ‖ Y)[12:]` of the attested secp256k1 key).
    /// @param measurement `keccak256(PCR0 ‖ PCR1 ‖ PCR2)` of the attesting enclave image.
    /// @param expiresAt Unix seconds; the key is valid while `block.timestamp < expiresAt`.
    /// @param configDigest The verifier set that signs (signatures die with it).
    struct EnclaveRegistration {
        address enclave;
        bytes32 measurement;
        uint64 expiresAt;
        bytes32 configDigest;
    }

    /// @notice An enclave key was registered or its registration extended.
    event EnclaveRegistered(
        address indexed enclave, bytes32 indexed measurement, uint64 expiresAt, bytes32 configDigest, address submitter
    );

    /// @notice The enclave address is zero.
    error ZeroEnclave();
    /// @notice The measurement is zero.
    error ZeroMeasurement();
    /// @notice The expiry is not in the future, or further than `maxTtl` seconds away.
    error InvalidExpiry(uint64 expiresAt, uint64 timestamp, uint64 maxTtl);
    /// @notice The key is registered (and unexpired) with another measurement.
    error MeasurementMismatch(address enclave, bytes32 registered, bytes32 given);
    /// @notice The key is registered (and unexpired) until at least `current` already.
    error RegistrationNotNewer(address enclave, uint64 expiresAt, uint64 current);
    /// @notice Signature number `index` does not recover (malformed, high s, bad v).
    error InvalidSignature(uint256 index);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();

    /// @notice Registers `r.enclave` (or extends its registration) with f + 1 signatures of the current verifier
    /// set over `r`. A registered, unexpired key keeps its measurement: a registration with another measurement
    /// is refused until the key expires, and one must expire later than the current registration.
    function registerEnclave(EnclaveRegistration calldata r, bytes[] calldata verifierSignatures) external;

    /// @notice The registration of an enclave key; zeros when never registered (check `expiresAt` yourself, or
    /// use {isEnclaveValid}).
    function enclave(address enclaveKey) external view returns (bytes32 measurement, uint64 expiresAt);

    /// @notice Whether the key is registered with `measurement` and not expired.
    function isEnclaveValid(address enclaveKey, bytes32 measurement) external view returns (bool);

    /// @notice Whether the key is registered, not expired, and its measurement is allowed for the model
    /// (ModelRegistry.isMeasurementAllowed of the listing).
    function isEnclaveAllowed(address enclaveKey, bytes32 listingId) external view returns (bool);

    /// @notice Checks a TEE result on chain: `signature` (65 bytes, low s) over the raw
    /// `resultHash = keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor))`, computed here
    /// from the fields with `modelId` the listing's, recovers to an enclave key that {isEnclaveAllowed} for
    /// `listingId`. Returns the recovered key (zero if none).
    function checkEnclaveResult(
        bytes32 listingId,
        bytes32 requestId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes calldata signature
    ) external view returns (bool valid, address enclaveKey);

    /// @notice The EIP-712 digest verifiers sign for `r`.
    function enclaveRegistrationDigest(EnclaveRegistration calldata r) external view returns (bytes32);

    /// @notice The EIP-712 domain separator: `{name: "opg", version: "1", chainId, verifyingContract: hub}`.
    function domainSeparator() external view returns (bytes32);
}
