// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IQuorumErrors
/// @notice Errors of the verifier-quorum check. Declared in both the registry and the hub ABIs because
/// {OperatorRegistry.checkQuorum} reverts with them during {InferenceHub.settleBatch}.
interface IQuorumErrors {
    /// @notice No verifier configuration has been set yet.
    error NoVerifierConfig();
    /// @notice The header's config digest is not the current one (old signatures die with the old set).
    error ConfigDigestMismatch(bytes32 given, bytes32 current);
    /// @notice A recovered signer is not a member of the current verifier set.
    error SignerNotInConfig(address signer);
    /// @notice The same verifier signed twice.
    error DuplicateSigner(address signer);
    /// @notice Fewer than f + 1 signatures.
    error InsufficientSignatures(uint256 given, uint256 required);
}
