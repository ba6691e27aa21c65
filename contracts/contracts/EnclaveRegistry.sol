// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {OpgHashes} from "./libraries/OpgHashes.sol";

/// @notice The registries an InferenceHub was built with (its public immutables).
interface IHubRegistries {
    function operatorRegistry() external view returns (IOperatorRegistry);
    function modelRegistry() external view returns (IModelRegistry);
}

/// @title EnclaveRegistry
/// @notice Enclave key → (measurement, expiry), registered with f + 1 verifier signatures over an EIP-712
/// `EnclaveRegistration` in the hub's domain (docs/protocol.md), so that a TEE result's enclave signature can be
/// checked on chain against the model's allowed measurements. Uses the hub's OperatorRegistry for the quorum and
/// its ModelRegistry for the measurements.
contract EnclaveRegistry is IEnclaveRegistry {
    /// @notice Longest registration accepted: `expiresAt - block.timestamp` (an attested key lives ~3 hours).
    uint64 public constant MAX_TTL = 1 days;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    struct Registration {
        bytes32 measurement;
        uint64 expiresAt;
    }

    /// @notice The hub whose EIP-712 domain registrations are signed in.
    address public immutable hub;
    /// @notice The verifier set (quorum check).
    IOperatorRegistry public immutable operatorRegistry;
    /// @notice Allowed measurements per model.
    IModelRegistry public immutable modelRegistry;

    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;

    mapping(address enclave => Registration) private _registrations;

    /// @param hub_ The InferenceHub; its OperatorRegistry and ModelRegistry are used.
    constructor(address hub_) {
        if (hub_ == address(0)) revert ZeroAddress();
        hub = hub_;
        operatorRegistry = IHubRegistries(hub_).operatorRegistry();
        modelRegistry = IHubRegistries(hub_).modelRegistry();
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @inheritdoc IEnclaveRegistry
    function registerEnclave(EnclaveRegistration calldata r, bytes[] calldata verifierSignatures) external {
        address key = r.enclave;
        if (key == address(0)) revert ZeroEnclave();
        if (r.measurement == bytes32(0)) revert ZeroMeasurement();
        uint64 expiresAt = r.expiresAt;
        if (expiresAt <= block.timestamp || expiresAt > block.timestamp + MAX_TTL) {
            revert InvalidExpiry(expiresAt, uint64(block.timestamp), MAX_TTL);
        }
        Registration storage current = _registrations[key];
        if (block.timestamp < current.expiresAt) {
            if (current.measurement != r.measurement) revert MeasurementMismatch(key, current.measurement, r.measurement);
            if (expiresAt <= current.expiresAt) revert RegistrationNotNewer(key, expiresAt, current.expiresAt);
        }

        bytes32 digest = MessageHashUtils.toTypedDataHash(_domainSeparator(), OpgHashes.hashEnclaveRegistration(r));
        uint256 n = verifierSignatures.length;
        address[] memory signers = new address[](n);
        for (uint256 i; i < n; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, verifierSignatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            signers[i] = signer;
        }
        // Reverts unless >= f + 1 distinct members of the current set (r.configDigest) signed.
        operatorRegistry.checkQuorum(r.configDigest, signers);

        current.measurement = r.measurement;
        current.expiresAt = expiresAt;
        emit EnclaveRegistered(key, r.measurement, expiresAt, r.configDigest, msg.sender);
    }

    /// @inheritdoc IEnclaveRegistry
    function enclave(address enclaveKey) external view returns (bytes32 measurement, uint64 expiresAt) {
        Registration storage reg = _registrations[enclaveKey];
        return (reg.measurement, reg.expiresAt);
    }

    /// @inheritdoc IEnclaveRegistry
    function isEnclaveValid(address enclaveKey, bytes32 measurement) public view returns (bool) {
        Registration storage reg = _registrations[enclaveKey];
        return measurement != bytes32(0) && reg.measurement == measurement && block.timestamp < reg.expiresAt;
    }

    /// @inheritdoc IEnclaveRegistry
    function isEnclaveAllowed(address enclaveKey, bytes32 listingId) public view returns (bool) {
        Registration storage reg = _registrations[enclaveKey];
        return block.timestamp < reg.expiresAt && modelRegistry.isMeasurementAllowed(listingId, reg.measurement);
    }

    /// @inheritdoc IEnclaveRegistry
    function checkEnclaveResult(
        bytes32 listingId,
        bytes32 requestId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes calldata signature
    ) external view returns (bool valid, address enclaveKey) {
        // The hash is computed here from the result's fields (the model is the listing's): a caller-chosen
        // 32 bytes recovered to some key prove nothing about a result.
        (bytes32 modelId,,) = modelRegistry.requestTerms(listingId);
        bytes32 resultHash = OpgHashes.resultHash(requestId, modelId, inputHash, outputHash, executor);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(resultHash, signature);
        if (err != ECDSA.RecoverError.NoError) return (false, address(0));
        return (isEnclaveAllowed(signer, listingId), signer);
    }

    /// @inheritdoc IEnclaveRegistry
    function enclaveRegistrationDigest(EnclaveRegistration calldata r) external view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), OpgHashes.hashEnclaveRegistration(r));
    }

    /// @inheritdoc IEnclaveRegistry
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("opg"), keccak256("1"), block.chainid, hub));
    }
}
