// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Groth16} from "./libraries/Groth16.sol";

/// @title ModelRegistry
/// @notice `modelId` (sha256 of the ONNX file) → owner, metadata URI, supported proof modes, price per request,
/// ZK weights commitment and verifier (set by the model owner, once), allowed TEE enclave measurements.
/// Registration is permissionless (first come, first served per modelId).
contract ModelRegistry is IModelRegistry {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    /// @notice Proof mode NONE.
    uint8 public constant MODE_NONE = 0;
    /// @notice Proof mode ZK.
    uint8 public constant MODE_ZK = 1;
    /// @notice Proof mode TEE.
    uint8 public constant MODE_TEE = 2;
    /// @notice Mask of all valid mode bits.
    uint8 public constant ALL_MODES = 0x07;
    /// @notice Largest number of allowed measurements per model.
    uint256 public constant MAX_MEASUREMENTS = 32;

    // Slot 0 of each model (owner, modes, price) is the only one read per request.
    struct Model {
        address owner;
        uint8 modes;
        uint88 price;
        address zkVerifier;
        bytes32 weightsCommitment;
        string metadataURI;
    }

    mapping(bytes32 modelId => Model) private _models;
    mapping(bytes32 modelId => EnumerableSet.Bytes32Set) private _measurements;

    modifier onlyModelOwner(bytes32 modelId) {
        address owner_ = _models[modelId].owner;
        if (owner_ == address(0)) revert ModelNotFound(modelId);
        if (owner_ != msg.sender) revert NotModelOwner(modelId, msg.sender);
        _;
    }

    /// @inheritdoc IModelRegistry
    function registerModel(ModelRegistration calldata r) external {
        bytes32 modelId = r.modelId;
        if (modelId == bytes32(0)) revert ZeroModelId();
        Model storage m = _models[modelId];
        if (m.owner != address(0)) revert ModelAlreadyRegistered(modelId);
        _checkModes(r.modes);
        m.owner = msg.sender;
        m.metadataURI = r.metadataURI;
        m.price = _toPrice(r.price);
        if (r.zkVerifier != address(0) || r.weightsCommitment != bytes32(0)) {
            _setZkConfig(modelId, m, r.weightsCommitment, r.zkVerifier);
        }
        m.modes = r.modes;
        _requireZkIfEnabled(modelId, m, r.modes);
        emit ModelRegistered(modelId, msg.sender, r.modes, r.price, r.metadataURI);
        uint256 n = r.measurements.length;
        for (uint256 i; i < n; ++i) _addMeasurement(modelId, r.measurements[i]);
    }

    /// @inheritdoc IModelRegistry
    function setModes(bytes32 modelId, uint8 modes) external onlyModelOwner(modelId) {
        _checkModes(modes);
        Model storage m = _models[modelId];
        _requireZkIfEnabled(modelId, m, modes);
        m.modes = modes;
        emit ModelModesSet(modelId, modes);
    }

    /// @inheritdoc IModelRegistry
    function setPrice(bytes32 modelId, uint256 price) external onlyModelOwner(modelId) {
        _models[modelId].price = _toPrice(price);
        emit ModelPriceSet(modelId, price);
    }

    /// @inheritdoc IModelRegistry
    function setMetadataURI(bytes32 modelId, string calldata metadataURI) external onlyModelOwner(modelId) {
        _models[modelId].metadataURI = metadataURI;
        emit ModelMetadataSet(modelId, metadataURI);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(bytes32 modelId, address newOwner) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert ZeroAddress();
        _models[modelId].owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function setZkConfig(bytes32 modelId, bytes32 weightsCommitment, address zkVerifier)
        external
        onlyModelOwner(modelId)
    {
        _setZkConfig(modelId, _models[modelId], weightsCommitment, zkVerifier);
    }

    /// @inheritdoc IModelRegistry
    function addMeasurement(bytes32 modelId, bytes32 pcrHash) external onlyModelOwner(modelId) {
        _addMeasurement(modelId, pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function removeMeasurement(bytes32 modelId, bytes32 pcrHash) external onlyModelOwner(modelId) {
        if (!_measurements[modelId].remove(pcrHash)) revert MeasurementNotFound(pcrHash);
        emit MeasurementRemoved(modelId, pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (ModelInfo memory info) {
        Model storage m = _models[modelId];
        info = ModelInfo({
            owner: m.owner,
            modes: m.modes,
            price: m.price,
            zkVerifier: m.zkVerifier,
            weightsCommitment: m.weightsCommitment,
            metadataURI: m.metadataURI
        });
    }

    /// @inheritdoc IModelRegistry
    function requestTerms(bytes32 modelId) external view returns (uint8 modes, uint256 price) {
        Model storage m = _models[modelId];
        return (m.modes, m.price);
    }

    /// @inheritdoc IModelRegistry
    function zkConfig(bytes32 modelId) external view returns (bytes32 weightsCommitment, address zkVerifier) {
        Model storage m = _models[modelId];
        return (m.weightsCommitment, m.zkVerifier);
    }

    /// @inheritdoc IModelRegistry
    function supportsMode(bytes32 modelId, uint8 mode) external view returns (bool) {
        return mode <= MODE_TEE && (_models[modelId].modes >> mode) & 1 == 1;
    }

    /// @inheritdoc IModelRegistry
    function isMeasurementAllowed(bytes32 modelId, bytes32 pcrHash) external view returns (bool) {
        return _measurements[modelId].contains(pcrHash);
    }

    /// @inheritdoc IModelRegistry
    function measurements(bytes32 modelId) external view returns (bytes32[] memory) {
        return _measurements[modelId].values();
    }

    function _setZkConfig(bytes32 modelId, Model storage m, bytes32 weightsCommitment, address zkVerifier) private {
        if (m.zkVerifier != address(0)) revert ZkConfigAlreadySet(modelId);
        if (zkVerifier.code.length == 0) revert InvalidZkVerifier(zkVerifier);
        if (weightsCommitment == bytes32(0) || uint256(weightsCommitment) >= Groth16.SNARK_SCALAR_FIELD) {
            revert InvalidWeightsCommitment(weightsCommitment);
        }
        m.zkVerifier = zkVerifier;
        m.weightsCommitment = weightsCommitment;
        emit ZkConfigSet(modelId, weightsCommitment, zkVerifier);
    }

    function _addMeasurement(bytes32 modelId, bytes32 pcrHash) private {
        EnumerableSet.Bytes32Set storage set = _measurements[modelId];
        if (pcrHash == bytes32(0) || !set.add(pcrHash)) revert InvalidMeasurement(pcrHash);
        if (set.length() > MAX_MEASUREMENTS) revert TooManyMeasurements(modelId);
        emit MeasurementAdded(modelId, pcrHash);
    }

    function _requireZkIfEnabled(bytes32 modelId, Model storage m, uint8 modes) private view {
        if ((modes >> MODE_ZK) & 1 == 1 && m.zkVerifier == address(0)) revert ZkConfigMissing(modelId);
    }

    function _checkModes(uint8 modes) private pure {
        if (modes & ~ALL_MODES != 0) revert InvalidModes(modes);
    }

    function _toPrice(uint256 price) private pure returns (uint88) {
        if (price > type(uint88).max) revert PriceTooHigh(price);
        return uint88(price);
    }
}
