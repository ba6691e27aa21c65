// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IModelRegistry
/// @notice Registered models: owner, metadata, supported proof modes, price, ZK verifier, TEE measurements.
interface IModelRegistry {
    /// @notice A registered model.
    /// @param owner Account allowed to change the model's settings.
    /// @param modes Bitmask of supported proof modes: bit 0 NONE, bit 1 ZK, bit 2 TEE (0: disabled).
    /// @param price Minimum fee per request (wei).
    /// @param zkVerifier The model's {IZkVerifier} (adapter in front of its snarkjs Groth16 verifier); zero if none.
    /// @param weightsCommitment Poseidon commitment to the weights (a BN254 field element); zero if none.
    /// @param metadataURI Where the model file and its description can be fetched.
    struct ModelInfo {
        address owner;
        uint8 modes;
        uint88 price;
        address zkVerifier;
        bytes32 weightsCommitment;
        string metadataURI;
    }

    /// @notice Input of {registerModel}.
    /// @param modelId sha256 of the ONNX file.
    /// @param metadataURI Where the model and its description can be fetched.
    /// @param modes Bitmask of supported proof modes (bit 0 NONE, bit 1 ZK, bit 2 TEE).
    /// @param price Minimum fee per request (wei, < 2^88).
    /// @param weightsCommitment ZK only: Poseidon weights commitment (< BN254 r); zero when not ZK.
    /// @param zkVerifier ZK only: the model's {IZkVerifier}; zero when not ZK.
    /// @param measurements TEE only: allowed enclave measurements (PCR hashes).
    struct ModelRegistration {
        bytes32 modelId;
        string metadataURI;
        uint8 modes;
        uint256 price;
        bytes32 weightsCommitment;
        address zkVerifier;
        bytes32[] measurements;
    }

    /// @notice A model was registered.
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, uint8 modes, uint256 price, string metadataURI);
    /// @notice Supported modes changed.
    event ModelModesSet(bytes32 indexed modelId, uint8 modes);
    /// @notice Price changed.
    event ModelPriceSet(bytes32 indexed modelId, uint256 price);
    /// @notice Metadata URI changed.
    event ModelMetadataSet(bytes32 indexed modelId, string metadataURI);
    /// @notice Ownership of a model moved.
    event ModelOwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @notice The ZK configuration was set (once per model).
    event ZkConfigSet(bytes32 indexed modelId, bytes32 weightsCommitment, address zkVerifier);
    /// @notice An enclave measurement was allowed.
    event MeasurementAdded(bytes32 indexed modelId, bytes32 indexed pcrHash);
    /// @notice An enclave measurement was removed.
    event MeasurementRemoved(bytes32 indexed modelId, bytes32 indexed pcrHash);

    /// @notice modelId zero.
    error ZeroModelId();
    /// @notice The model already exists.
    error ModelAlreadyRegistered(bytes32 modelId);
    /// @notice No such model.
    error ModelNotFound(bytes32 modelId);
    /// @notice Caller is not the model owner.
    error NotModelOwner(bytes32 modelId, address caller);
    /// @notice Mode bitmask has bits other than 0..2.
    error InvalidModes(uint8 modes);
    /// @notice Price does not fit in 88 bits.
    error PriceTooHigh(uint256 price);
    /// @notice ZK mode requires a verifier and a weights commitment.
    error ZkConfigMissing(bytes32 modelId);
    /// @notice The ZK configuration can be set only once.
    error ZkConfigAlreadySet(bytes32 modelId);
    /// @notice The verifier has no code.
    error InvalidZkVerifier(address zkVerifier);
    /// @notice The weights commitment is zero or not below the BN254 scalar field modulus.
    error InvalidWeightsCommitment(bytes32 weightsCommitment);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();
    /// @notice The measurement is already allowed, or is zero.
    error InvalidMeasurement(bytes32 pcrHash);
    /// @notice The measurement is not allowed.
    error MeasurementNotFound(bytes32 pcrHash);
    /// @notice Too many measurements for one model.
    error TooManyMeasurements(bytes32 modelId);

    /// @notice Registers a model; the caller becomes its owner. First come, first served per modelId.
    function registerModel(ModelRegistration calldata registration) external;

    /// @notice Sets the supported modes (0 disables new requests). Enabling ZK requires the ZK configuration.
    function setModes(bytes32 modelId, uint8 modes) external;

    /// @notice Sets the minimum fee per request.
    function setPrice(bytes32 modelId, uint256 price) external;

    /// @notice Sets the metadata URI.
    function setMetadataURI(bytes32 modelId, string calldata metadataURI) external;

    /// @notice Moves ownership of a model.
    function transferModelOwnership(bytes32 modelId, address newOwner) external;

    /// @notice Sets the ZK weights commitment and verifier. Once only: the weights are part of the ONNX file
    /// (hence of modelId) and the verifier is derived from them, so neither may change afterwards.
    function setZkConfig(bytes32 modelId, bytes32 weightsCommitment, address zkVerifier) external;

    /// @notice Allows an enclave measurement (PCR hash) for TEE results of the model.
    function addMeasurement(bytes32 modelId, bytes32 pcrHash) external;

    /// @notice Removes an allowed enclave measurement.
    function removeMeasurement(bytes32 modelId, bytes32 pcrHash) external;

    /// @notice The model record (owner zero when unknown).
    function getModel(bytes32 modelId) external view returns (ModelInfo memory);

    /// @notice Mode bitmask and price; (0, 0) for an unknown model. Read by the hub on every request.
    function requestTerms(bytes32 modelId) external view returns (uint8 modes, uint256 price);

    /// @notice The ZK configuration; zeros when none.
    function zkConfig(bytes32 modelId) external view returns (bytes32 weightsCommitment, address zkVerifier);

    /// @notice Whether `mode` (0 NONE, 1 ZK, 2 TEE) is currently supported.
    function supportsMode(bytes32 modelId, uint8 mode) external view returns (bool);

    /// @notice Whether the enclave measurement is allowed for the model.
    function isMeasurementAllowed(bytes32 modelId, bytes32 pcrHash) external view returns (bool);

    /// @notice All allowed enclave measurements of the model.
    function measurements(bytes32 modelId) external view returns (bytes32[] memory);
}
