// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BatchHeader, ExecutionResult} from "../OpgTypes.sol";
import {IEnclaveRegistry} from "../interfaces/IEnclaveRegistry.sol";
import {OpgHashes} from "../libraries/OpgHashes.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title OpgHashesHarness
/// @notice Test harness exposing {OpgHashes} with an arbitrary EIP-712 domain (to check test vectors whose
/// domain names another chain or address).
contract OpgHashesHarness {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The opg domain separator for a chain and hub.
    function domainSeparator(uint256 chainId, address verifyingContract) public pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("opg"), keccak256("1"), chainId, verifyingContract));
    }

    /// @notice Struct hash of an InferenceRequest.
    function inferenceRequestHash(
        address requester,
        bytes32 modelId,
        bytes32 inputHash,
        uint8 mode,
        uint256 nonce,
        uint64 deadline
    ) external pure returns (bytes32) {
        return OpgHashes.hashInferenceRequest(requester, modelId, inputHash, mode, nonce, deadline);
    }

    /// @notice Struct hash of an ExecutionResult.
    function executionResultHash(ExecutionResult calldata r) external pure returns (bytes32) {
        return OpgHashes.hashExecutionResult(r);
    }

    /// @notice Struct hash of a BatchRoot.
    function batchRootHash(BatchHeader calldata h) external pure returns (bytes32) {
        return OpgHashes.hashBatchRoot(h);
    }

    /// @notice Struct hash of an EnclaveRegistration.
    function enclaveRegistrationHash(IEnclaveRegistry.EnclaveRegistration calldata r) external pure returns (bytes32) {
        return OpgHashes.hashEnclaveRegistration(r);
    }

    /// @notice Full EIP-712 digest for a domain and struct hash.
    function typedDataDigest(uint256 chainId, address verifyingContract, bytes32 structHash)
        external
        pure
        returns (bytes32)
    {
        return MessageHashUtils.toTypedDataHash(domainSeparator(chainId, verifyingContract), structHash);
    }

    /// @notice resultHash.
    function resultHash(bytes32 requestId, bytes32 modelId, bytes32 inputHash, bytes32 outputHash, address executor)
        external
        pure
        returns (bytes32)
    {
        return OpgHashes.resultHash(requestId, modelId, inputHash, outputHash, executor);
    }

    /// @notice Merkle leaf.
    function leaf(bytes32 requestId, bytes32 modelId, bytes32 inputHash, bytes32 outputHash, address executor)
        external
        pure
        returns (bytes32)
    {
        return OpgHashes.leaf(requestId, modelId, inputHash, outputHash, executor);
    }

    /// @notice Config digest for an arbitrary chain and registry.
    function configDigest(uint256 chainId, address registry, uint64 configCount, address[] calldata signers, uint8 f)
        external
        pure
        returns (bytes32)
    {
        return OpgHashes.configDigest(chainId, registry, configCount, signers, f);
    }

    /// @notice OpenZeppelin MerkleProof.verifyCalldata.
    function verifyProof(bytes32[] calldata proof, bytes32 root, bytes32 leaf_) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf_);
    }

    /// @notice Signer of a 65-byte signature as the contracts recover it (zero when rejected, e.g. high s).
    function recover(bytes32 digest, bytes calldata signature) external pure returns (address signer) {
        (signer,,) = ECDSA.tryRecoverCalldata(digest, signature);
    }
}
