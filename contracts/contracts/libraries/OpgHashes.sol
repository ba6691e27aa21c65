// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BatchHeader, ExecutionResult} from "../OpgTypes.sol";
import {IEnclaveRegistry} from "../interfaces/IEnclaveRegistry.sol";

/// @title OpgHashes
/// @notice EIP-712 struct hashes, result hashes and Merkle leaves exactly as defined in docs/protocol.md.
library OpgHashes {
    /// @notice keccak256 of the EIP-712 `InferenceRequest` type.
    bytes32 internal constant INFERENCE_REQUEST_TYPEHASH = keccak256(
        "InferenceRequest(address requester,bytes32 modelId,bytes32 inputHash,uint8 mode,uint256 nonce,uint64 deadline)"
    );
    /// @notice keccak256 of the EIP-712 `ExecutionResult` type.
    bytes32 internal constant EXECUTION_RESULT_TYPEHASH =
        keccak256("ExecutionResult(bytes32 requestId,bytes32 modelId,bytes32 inputHash,bytes32 outputHash,uint8 mode)");
    /// @notice keccak256 of the EIP-712 `BatchRoot` type.
    bytes32 internal constant BATCH_ROOT_TYPEHASH =
        keccak256("BatchRoot(bytes32 configDigest,uint64 batchId,bytes32 root,uint32 count)");
    /// @notice keccak256 of the EIP-712 `SignerBinding` type (proof of possession of an operator signing key).
    bytes32 internal constant SIGNER_BINDING_TYPEHASH =
        keccak256("SignerBinding(address operator,address signer,uint8 role)");

    /// @notice keccak256 of the EIP-712 `EnclaveRegistration` type (verifiers vouch for an attested enclave key).
    bytes32 internal constant ENCLAVE_REGISTRATION_TYPEHASH =
        keccak256("EnclaveRegistration(address enclave,bytes32 measurement,uint64 expiresAt,bytes32 configDigest)");

    /// @notice EIP-712 struct hash of an `InferenceRequest`.
    function hashInferenceRequest(
        address requester,
        bytes32 modelId,
        bytes32 inputHash,
        uint8 mode,
        uint256 nonce,
        uint64 deadline
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(INFERENCE_REQUEST_TYPEHASH, requester, modelId, inputHash, mode, nonce, deadline));
    }

    /// @notice EIP-712 struct hash of an `ExecutionResult`.
    function hashExecutionResult(ExecutionResult calldata r) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(EXECUTION_RESULT_TYPEHASH, r.requestId, r.modelId, r.inputHash, r.outputHash, r.mode)
        );
    }

    /// @notice EIP-712 struct hash of a `BatchRoot`.
    function hashBatchRoot(BatchHeader calldata h) internal pure returns (bytes32) {
        return keccak256(abi.encode(BATCH_ROOT_TYPEHASH, h.configDigest, h.batchId, h.root, h.count));
    }

    /// @notice EIP-712 struct hash of a `SignerBinding`.
    function hashSignerBinding(address operator, address signer, uint8 role) internal pure returns (bytes32) {
        return keccak256(abi.encode(SIGNER_BINDING_TYPEHASH, operator, signer, role));
    }

    /// @notice EIP-712 struct hash of an `EnclaveRegistration`.
    function hashEnclaveRegistration(IEnclaveRegistry.EnclaveRegistration calldata r) internal pure returns (bytes32) {
        return keccak256(abi.encode(ENCLAVE_REGISTRATION_TYPEHASH, r.enclave, r.measurement, r.expiresAt, r.configDigest));
    }

    /// @notice `resultHash = keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor))`.
    function resultHash(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, requestId)
            mstore(add(p, 0x20), modelId)
            mstore(add(p, 0x40), inputHash)
            mstore(add(p, 0x60), outputHash)
            mstore(add(p, 0x80), and(executor, 0xffffffffffffffffffffffffffffffffffffffff))
            h := keccak256(p, 0xa0)
        }
    }

    /// @notice Merkle leaf of a result: `keccak256(bytes.concat(resultHash))` (OpenZeppelin StandardMerkleTree shape).
    function leaf(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) internal pure returns (bytes32 l) {
        bytes32 h = resultHash(requestId, modelId, inputHash, outputHash, executor);
        assembly ("memory-safe") {
            mstore(0x00, h)
            l := keccak256(0x00, 0x20)
        }
    }

    /// @notice Verifier-set digest:
    /// `keccak256(abi.encode(uint256 chainId, address operatorRegistry, uint64 configCount, address[] signers, uint8 f))`.
    function configDigest(
        uint256 chainId,
        address operatorRegistry,
        uint64 configCount,
        address[] memory signers,
        uint8 f
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(chainId, operatorRegistry, configCount, signers, f));
    }
}
