// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZkVerifier} from "../interfaces/IZkVerifier.sol";

/// @title MockZkVerifier
/// @notice Test stand-in for a model's {IZkVerifier} adapter: accepts a proof iff it equals
/// `abi.encode(magic)` and, once `expect` was called, the bound values equal the expected ones. Can revert.
contract MockZkVerifier is IZkVerifier {
    /// @notice Accepted proof: abi.encode(magic).
    uint256 public magic;
    /// @notice When true, verifyResult reverts.
    bool public reverts;
    /// @notice keccak256(abi.encode(modelId, weightsCommitment, keccak256(input), keccak256(output), executor)), or zero.
    bytes32 public expected;

    /// @param magic_ Accepted proof value.
    constructor(uint256 magic_) {
        magic = magic_;
    }

    /// @notice Requires these bound values from now on.
    function expect(bytes32 modelId, bytes32 weightsCommitment, bytes32 inputHash, bytes32 outputHash, address executor)
        external
    {
        expected = keccak256(abi.encode(modelId, weightsCommitment, inputHash, outputHash, executor));
    }

    /// @inheritdoc IZkVerifier
    function verificationKeyHash() external view returns (bytes32) {
        return keccak256(abi.encode("mock-vk", magic));
    }

    /// @notice Makes verifyResult revert.
    function setReverts(bool reverts_) external {
        reverts = reverts_;
    }

    /// @inheritdoc IZkVerifier
    function verifyResult(
        bytes32 modelId,
        bytes32 weightsCommitment,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata proof
    ) external view returns (bool) {
        if (reverts) revert("MockZkVerifier: revert");
        if (keccak256(proof) != keccak256(abi.encode(magic))) return false;
        if (expected != bytes32(0)) {
            bytes32 got = keccak256(abi.encode(modelId, weightsCommitment, keccak256(input), keccak256(output), executor));
            if (got != expected) return false;
        }
        return true;
    }
}
