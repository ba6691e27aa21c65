// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {IZkVerifier} from "./interfaces/IZkVerifier.sol";
import {Groth16} from "./libraries/Groth16.sol";

/// @title ModelRegistry
/// @notice Publisher-owned model listings (see {IModelRegistry}). Creating a listing is permissionless; a listing
/// is only ever trusted by the requests that name it. A listing's ZK verifier is set once with its code hash pinned
/// and becomes usable by `settleWithProof` once f + 1 verifiers sealed its verification key hash.
contract ModelRegistry is IModelRegistry, EIP712 {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    /// @notice Proof mode NONE.
    uint8 public constant MODE_NONE = 0;
    /// @notice Proof mode ZK.
    uint8 public constant MODE_ZK = 1;
    /// @notice Proof mode TEE.
    uint8 public constant MODE_TEE = 2;
    /// @notice Mask of all valid mode bits.
    uint8 public constant ALL_MODES = 0x07;
    /// @notice Largest number of allowed measurements per listing.
    uint256 public constant MAX_MEASUREMENTS = 32;
    /// @notice keccak256 of the EIP-712 `ZkKeySeal` type.
    bytes32 public constant ZK_KEY_SEAL_TYPEHASH =
        keccak256("ZkKeySeal(bytes32 listingId,bytes32 vkHash,bytes32 transcriptHash,bytes32 configDigest)");

    // Slot 0 (owner, modes, price) and slot 1 (modelId) are what the hub reads per request.
    struct Listing {
        address owner;
        uint8 modes;
        uint88 price;
        bytes32 modelId;
        address zkVerifier;
        bool zkKeySealed;
        bytes32 zkVerifierCodeHash;
        bytes32 weightsCommitment;
        bytes32 vkHash;
        bytes32 transcriptHash;
        string metadataURI;
    }

    /// @notice The verifier set whose f + 1 members seal verification keys.
    IOperatorRegistry public immutable operatorRegistry;

    mapping(bytes32 listingId => Listing) private _listings;
    mapping(bytes32 listingId => EnumerableSet.Bytes32Set) private _measurements;
    mapping(bytes32 modelId => mapping(address publisher => uint256)) private _listingCounts;

    modifier onlyListingOwner(bytes32 listingId) {
        address owner_ = _listings[listingId].owner;
        if (owner_ == address(0)) revert ListingNotFound(listingId);
        if (owner_ != msg.sender) revert NotListingOwner(listingId, msg.sender);
        _;
    }

    /// @param operatorRegistry_ The OperatorRegistry whose verifier set seals ZK keys.
    constructor(IOperatorRegistry operatorRegistry_) EIP712("opg-models", "1") {
        if (address(operatorRegistry_) == address(0)) revert ZeroAddress();
        operatorRegistry = operatorRegistry_;
    }

    /// @inheritdoc IModelRegistry
    function createListing(ListingRegistration calldata r) external returns (bytes32 listingId) {
        bytes32 modelId = r.modelId;
        if (modelId == bytes32(0)) revert ZeroModelId();
        _checkModes(r.modes);
        uint256 index = _listingCounts[modelId][msg.sender]++;
        listingId = listingIdOf(modelId, msg.sender, index);
        Listing storage l = _listings[listingId];
        l.owner = msg.sender;
        l.modelId = modelId;
        l.metadataURI = r.metadataURI;
        l.price = _toPrice(r.price);
        emit ListingCreated(listingId, modelId, msg.sender, r.modes, r.price, r.metadataURI);
        if (r.zkVerifier != address(0) || r.weightsCommitment != bytes32(0) || r.vkHash != bytes32(0)) {
            _setZkConfig(listingId, l, r.weightsCommitment, r.zkVerifier, r.vkHash);
        }
        _requireZkIfEnabled(listingId, l, r.modes);
        l.modes = r.modes;
        uint256 n = r.measurements.length;
        for (uint256 i; i < n; ++i) _addMeasurement(listingId, r.measurements[i]);
    }

    /// @inheritdoc IModelRegistry
    function setModes(bytes32 listingId, uint8 modes) external onlyListingOwner(listingId) {
        _checkModes(modes);
        Listing storage l = _listings[listingId];
        _requireZkIfEnabled(listingId, l, modes);
        l.modes = modes;
        emit ListingModesSet(listingId, modes);
    }

    /// @inheritdoc IModelRegistry
    function setPrice(bytes32 listingId, uint256 price) external onlyListingOwner(listingId) {
        _listings[listingId].price = _toPrice(price);
        emit ListingPriceSet(listingId, price);
    }

    /// @inheritdoc IModelRegistry
    function setMetadataURI(bytes32 listingId, string calldata metadataURI) external onlyListingOwner(listingId) {
        _listings[listingId].metadataURI = metadataURI;
        emit ListingMetadataSet(listingId, metadataURI);
    }

    /// @inheritdoc IModelRegistry
    function transferListingOwnership(bytes32 listingId, address newOwner) external onlyListingOwner(listingId) {
        if (newOwner == address(0)) revert ZeroAddress();
        _listings[listingId].owner = newOwner;
        emit ListingOwnershipTransferred(listingId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function setZkConfig(bytes32 listingId, bytes32 weightsCommitment, address zkVerifier, bytes32 vkHash)
        external
        onlyListingOwner(listingId)
    {
        _setZkConfig(listingId, _listings[listingId], weightsCommitment, zkVerifier, vkHash);
    }

    /// @inheritdoc IModelRegistry
    function sealZkKey(ZkKeySeal calldata seal, bytes[] calldata verifierSignatures) external {
        bytes32 listingId = seal.listingId;
        Listing storage l = _listings[listingId];
        if (l.zkKeySealed || l.vkHash == bytes32(0) || l.vkHash != seal.vkHash || seal.transcriptHash == bytes32(0)) {
            revert InvalidSeal(listingId);
        }
        bytes32 digest = zkKeySealDigest(seal);
        uint256 n = verifierSignatures.length;
        address[] memory signers = new address[](n);
        for (uint256 i; i < n; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, verifierSignatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            signers[i] = signer;
        }
        // Reverts unless >= f + 1 distinct members of the current set (seal.configDigest) signed.
        operatorRegistry.checkQuorum(seal.configDigest, signers);
        l.zkKeySealed = true;
        l.transcriptHash = seal.transcriptHash;
        emit ZkKeySealed(listingId, seal.vkHash, seal.transcriptHash, seal.configDigest);
    }

    /// @inheritdoc IModelRegistry
    function addMeasurement(bytes32 listingId, bytes32 pcrHash) external onlyListingOwner(listingId) {
        _addMeasurement(listingId, pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function removeMeasurement(bytes32 listingId, bytes32 pcrHash) external onlyListingOwner(listingId) {
        if (!_measurements[listingId].remove(pcrHash)) revert MeasurementNotFound(pcrHash);
        emit MeasurementRemoved(listingId, pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function getListing(bytes32 listingId) external view returns (ListingInfo memory info) {
        Listing storage l = _listings[listingId];
        info = ListingInfo({
            modelId: l.modelId,
            owner: l.owner,
            modes: l.modes,
            price: l.price,
            zkVerifier: l.zkVerifier,
            zkVerifierCodeHash: l.zkVerifierCodeHash,
            weightsCommitment: l.weightsCommitment,
            vkHash: l.vkHash,
            zkKeySealed: l.zkKeySealed,
            transcriptHash: l.transcriptHash,
            metadataURI: l.metadataURI
        });
    }

    /// @inheritdoc IModelRegistry
    function listingIdOf(bytes32 modelId, address publisher, uint256 index) public pure returns (bytes32) {
        return keccak256(abi.encode(modelId, publisher, index));
    }

    /// @inheritdoc IModelRegistry
    function listingCount(bytes32 modelId, address publisher) external view returns (uint256) {
        return _listingCounts[modelId][publisher];
    }

    /// @inheritdoc IModelRegistry
    function latestListing(bytes32 modelId, address publisher) external view returns (bytes32) {
        uint256 n = _listingCounts[modelId][publisher];
        return n == 0 ? bytes32(0) : listingIdOf(modelId, publisher, n - 1);
    }

    /// @inheritdoc IModelRegistry
    function requestTerms(bytes32 listingId) external view returns (bytes32 modelId, uint8 modes, uint256 price) {
        Listing storage l = _listings[listingId];
        return (l.modelId, l.modes, l.price);
    }

    /// @inheritdoc IModelRegistry
    function zkSettlementConfig(bytes32 listingId)
        external
        view
        returns (bytes32 modelId, bytes32 weightsCommitment, address zkVerifier)
    {
        Listing storage l = _listings[listingId];
        address v = l.zkVerifier;
        bool usable = l.zkKeySealed && v.codehash == l.zkVerifierCodeHash;
        return (l.modelId, l.weightsCommitment, usable ? v : address(0));
    }

    /// @inheritdoc IModelRegistry
    function supportsMode(bytes32 listingId, uint8 mode) external view returns (bool) {
        return mode <= MODE_TEE && (_listings[listingId].modes >> mode) & 1 == 1;
    }

    /// @inheritdoc IModelRegistry
    function isMeasurementAllowed(bytes32 listingId, bytes32 pcrHash) external view returns (bool) {
        return _measurements[listingId].contains(pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function measurements(bytes32 listingId) external view returns (bytes32[] memory) {
        return _measurements[listingId].values();
    }

    /// @inheritdoc IModelRegistry
    function zkKeySealDigest(ZkKeySeal calldata seal) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(ZK_KEY_SEAL_TYPEHASH, seal.listingId, seal.vkHash, seal.transcriptHash, seal.configDigest)
            )
        );
    }

    function _setZkConfig(
        bytes32 listingId,
        Listing storage l,
        bytes32 weightsCommitment,
        address zkVerifier,
        bytes32 vkHash
    ) private {
        if (l.zkVerifier != address(0)) revert ZkConfigAlreadySet(listingId);
        if (zkVerifier.code.length == 0) revert InvalidZkVerifier(zkVerifier);
        if (weightsCommitment == bytes32(0) || uint256(weightsCommitment) >= Groth16.SNARK_SCALAR_FIELD) {
            revert InvalidWeightsCommitment(weightsCommitment);
        }
        bytes32 embedded = IZkVerifier(zkVerifier).verificationKeyHash();
        if (vkHash == bytes32(0) || embedded != vkHash) revert VerificationKeyMismatch(vkHash, embedded);
        bytes32 codeHash = zkVerifier.codehash;
        l.zkVerifier = zkVerifier;
        l.zkVerifierCodeHash = codeHash;
        l.weightsCommitment = weightsCommitment;
        l.vkHash = vkHash;
        emit ZkConfigSet(listingId, weightsCommitment, zkVerifier, codeHash, vkHash);
    }

    function _addMeasurement(bytes32 listingId, bytes32 pcrHash) private {
        EnumerableSet.Bytes32Set storage set = _measurements[listingId];
        if (pcrHash == bytes32(0) || !set.add(pcrHash)) revert InvalidMeasurement(pcrHash);
        if (set.length() > MAX_MEASUREMENTS) revert TooManyMeasurements(listingId);
        emit MeasurementAdded(listingId, pcrHash);
    }

    function _requireZkIfEnabled(bytes32 listingId, Listing storage l, uint8 modes) private view {
        if ((modes >> MODE_ZK) & 1 == 1 && l.zkVerifier == address(0)) revert ZkConfigMissing(listingId);
    }

    function _checkModes(uint8 modes) private pure {
        if (modes & ~ALL_MODES != 0) revert InvalidModes(modes);
    }

    function _toPrice(uint256 price) private pure returns (uint88) {
        if (price > type(uint88).max) revert PriceTooHigh(price);
        return uint88(price);
    }
}
