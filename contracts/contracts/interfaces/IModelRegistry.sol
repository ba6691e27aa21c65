// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IQuorumErrors} from "./IQuorumErrors.sol";

/// @title IModelRegistry
/// @notice Model listings. A listing is owned by its publisher and names one ONNX file (`modelId`, sha256 of the
/// file) with the publisher's terms: supported proof modes, price, ZK verifier + weights commitment + verification
/// key hash, allowed enclave measurements. Several publishers may list the same file; every request names the
/// listing it trusts, so listing a popular modelId takes nothing from anyone else's listing.
///
/// Trust anchors: a listing's ZK verifier is set once (a new verifier is a new listing) and its code hash is
/// pinned; `settleWithProof` accepts it only after f + 1 members of the verifier set signed (EIP-712 `ZkKeySeal`)
/// that the listing's verification key hash came from a phase-2 ceremony they contributed to and checked.
interface IModelRegistry is IQuorumErrors {
    /// @notice A listing.
    /// @param modelId sha256 of the ONNX file.
    /// @param owner The publisher (may change the listing's terms, never its ZK verifier).
    /// @param modes Bitmask of supported proof modes: bit 0 NONE, bit 1 ZK, bit 2 TEE (0: disabled).
    /// @param price Minimum fee per request (wei).
    /// @param zkVerifier The listing's {IZkVerifier} adapter; zero if none.
    /// @param zkVerifierCodeHash extcodehash of `zkVerifier` when it was set (pinned).
    /// @param weightsCommitment Poseidon commitment to the weights (a BN254 field element); zero if none.
    /// @param vkHash keccak256 of the Groth16 verification key the adapter embeds; zero if none.
    /// @param zkKeySealed True once f + 1 verifiers sealed `vkHash` (settleWithProof needs it).
    /// @param transcriptHash The sealed ceremony transcript (sha256 of the final zkey); zero until sealed.
    /// @param metadataURI Where the model file and its description can be fetched.
    struct ListingInfo {
        bytes32 modelId;
        address owner;
        uint8 modes;
        uint88 price;
        address zkVerifier;
        bytes32 zkVerifierCodeHash;
        bytes32 weightsCommitment;
        bytes32 vkHash;
        bool zkKeySealed;
        bytes32 transcriptHash;
        string metadataURI;
    }

    /// @notice Input of {createListing}.
    /// @param modelId sha256 of the ONNX file.
    /// @param metadataURI Where the model and its description can be fetched.
    /// @param modes Bitmask of supported proof modes (bit 0 NONE, bit 1 ZK, bit 2 TEE).
    /// @param price Minimum fee per request (wei, < 2^88).
    /// @param weightsCommitment ZK only: Poseidon weights commitment (< BN254 r); zero when not (yet) ZK.
    /// @param zkVerifier ZK only: the listing's {IZkVerifier}; zero when not (yet) ZK.
    /// @param vkHash ZK only: the verification key hash the adapter embeds; zero when not (yet) ZK.
    /// @param measurements TEE only: allowed enclave measurements (PCR hashes).
    struct ListingRegistration {
        bytes32 modelId;
        string metadataURI;
        uint8 modes;
        uint256 price;
        bytes32 weightsCommitment;
        address zkVerifier;
        bytes32 vkHash;
        bytes32[] measurements;
    }

    /// @notice What f + 1 verifiers sign (EIP-712 type `ZkKeySeal`, in this registry's domain `{name: "opg-models",
    /// version: "1", chainId, verifyingContract: this}`): the listing's verification key `vkHash` is the one of the
    /// ceremony whose final zkey has sha256 `transcriptHash`, which the signer contributed to and checked.
    struct ZkKeySeal {
        bytes32 listingId;
        bytes32 vkHash;
        bytes32 transcriptHash;
        bytes32 configDigest;
    }

    /// @notice A listing was created.
    event ListingCreated(
        bytes32 indexed listingId,
        bytes32 indexed modelId,
        address indexed owner,
        uint8 modes,
        uint256 price,
        string metadataURI
    );
    /// @notice Supported modes changed.
    event ListingModesSet(bytes32 indexed listingId, uint8 modes);
    /// @notice Price changed.
    event ListingPriceSet(bytes32 indexed listingId, uint256 price);
    /// @notice Metadata URI changed.
    event ListingMetadataSet(bytes32 indexed listingId, string metadataURI);
    /// @notice Ownership of a listing moved.
    event ListingOwnershipTransferred(
        bytes32 indexed listingId, address indexed previousOwner, address indexed newOwner
    );
    /// @notice The ZK configuration was set (once per listing).
    event ZkConfigSet(
        bytes32 indexed listingId, bytes32 weightsCommitment, address zkVerifier, bytes32 codeHash, bytes32 vkHash
    );
    /// @notice f + 1 verifiers sealed the listing's verification key.
    event ZkKeySealed(bytes32 indexed listingId, bytes32 vkHash, bytes32 transcriptHash, bytes32 configDigest);
    /// @notice An enclave measurement was allowed.
    event MeasurementAdded(bytes32 indexed listingId, bytes32 indexed pcrHash);
    /// @notice An enclave measurement was removed.
    event MeasurementRemoved(bytes32 indexed listingId, bytes32 indexed pcrHash);

    /// @notice modelId zero.
    error ZeroModelId();
    /// @notice No such listing.
    error ListingNotFound(bytes32 listingId);
    /// @notice Caller is not the listing's owner.
    error NotListingOwner(bytes32 listingId, address caller);
    /// @notice Mode bitmask has bits other than 0..2.
    error InvalidModes(uint8 modes);
    /// @notice Price does not fit in 88 bits.
    error PriceTooHigh(uint256 price);
    /// @notice ZK mode requires a verifier, a weights commitment and a verification key hash.
    error ZkConfigMissing(bytes32 listingId);
    /// @notice The ZK configuration can be set only once (a new verifier is a new listing).
    error ZkConfigAlreadySet(bytes32 listingId);
    /// @notice The verifier has no code.
    error InvalidZkVerifier(address zkVerifier);
    /// @notice The weights commitment is zero or not below the BN254 scalar field modulus.
    error InvalidWeightsCommitment(bytes32 weightsCommitment);
    /// @notice The verification key hash is zero or not the one the verifier reports.
    error VerificationKeyMismatch(bytes32 declared, bytes32 embedded);
    /// @notice The seal names another key than the listing's, or the listing is sealed already.
    error InvalidSeal(bytes32 listingId);
    /// @notice Signature number `index` does not recover (malformed, high s, bad v).
    error InvalidSignature(uint256 index);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();
    /// @notice The measurement is already allowed, or is zero.
    error InvalidMeasurement(bytes32 pcrHash);
    /// @notice The measurement is not allowed.
    error MeasurementNotFound(bytes32 pcrHash);
    /// @notice Too many measurements for one listing.
    error TooManyMeasurements(bytes32 listingId);

    /// @notice Creates a listing owned by the caller and returns its id,
    /// `listingIdOf(modelId, msg.sender, listingCount(modelId, msg.sender))`.
    function createListing(ListingRegistration calldata registration) external returns (bytes32 listingId);

    /// @notice Sets the supported modes (0 disables new requests). Enabling ZK requires the ZK configuration.
    function setModes(bytes32 listingId, uint8 modes) external;

    /// @notice Sets the minimum fee per request.
    function setPrice(bytes32 listingId, uint256 price) external;

    /// @notice Sets the metadata URI.
    function setMetadataURI(bytes32 listingId, string calldata metadataURI) external;

    /// @notice Moves ownership of a listing.
    function transferListingOwnership(bytes32 listingId, address newOwner) external;

    /// @notice Sets the ZK weights commitment, verifier and verification key hash. Once only: a new verifier is a
    /// new listing. The verifier's code hash is pinned and its `verificationKeyHash()` must equal `vkHash`.
    function setZkConfig(bytes32 listingId, bytes32 weightsCommitment, address zkVerifier, bytes32 vkHash) external;

    /// @notice Seals the listing's verification key with f + 1 signatures of the current verifier set over `seal`.
    /// Anyone may submit. Once only.
    function sealZkKey(ZkKeySeal calldata seal, bytes[] calldata verifierSignatures) external;

    /// @notice Allows an enclave measurement (PCR hash) for TEE results of the listing.
    function addMeasurement(bytes32 listingId, bytes32 pcrHash) external;

    /// @notice Removes an allowed enclave measurement.
    function removeMeasurement(bytes32 listingId, bytes32 pcrHash) external;

    /// @notice The listing record (owner zero when unknown).
    function getListing(bytes32 listingId) external view returns (ListingInfo memory);

    /// @notice The id of a publisher's `index`-th listing of `modelId`.
    function listingIdOf(bytes32 modelId, address publisher, uint256 index) external pure returns (bytes32);

    /// @notice How many listings the publisher created for `modelId`.
    function listingCount(bytes32 modelId, address publisher) external view returns (uint256);

    /// @notice The publisher's latest listing of `modelId` (zero when none): what an SDK pinned to a publisher uses.
    function latestListing(bytes32 modelId, address publisher) external view returns (bytes32);

    /// @notice modelId, mode bitmask and price; zeros for an unknown listing. Read by the hub on every request.
    function requestTerms(bytes32 listingId) external view returns (bytes32 modelId, uint8 modes, uint256 price);

    /// @notice What settleWithProof uses: the listing's model, weights commitment and verifier. `zkVerifier` is zero
    /// unless the key is sealed and the verifier's code is still the pinned one.
    function zkSettlementConfig(bytes32 listingId)
        external
        view
        returns (bytes32 modelId, bytes32 weightsCommitment, address zkVerifier);

    /// @notice Whether `mode` (0 NONE, 1 ZK, 2 TEE) is currently supported.
    function supportsMode(bytes32 listingId, uint8 mode) external view returns (bool);

    /// @notice Whether the enclave measurement is allowed for the listing.
    function isMeasurementAllowed(bytes32 listingId, bytes32 pcrHash) external view returns (bool);

    /// @notice All allowed enclave measurements of the listing.
    function measurements(bytes32 listingId) external view returns (bytes32[] memory);

    /// @notice The EIP-712 digest verifiers sign for `seal`.
    function zkKeySealDigest(ZkKeySeal calldata seal) external view returns (bytes32);
}
