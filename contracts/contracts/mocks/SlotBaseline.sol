// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title SlotBaseline
/// @notice Benchmark baseline: settles results the naive way, one storage slot per result.
contract SlotBaseline {
    /// @notice Settled result hashes.
    mapping(bytes32 resultHash => bool) public settled;

    /// @notice Stores every result hash.
    function settle(bytes32[] calldata resultHashes) external {
        uint256 n = resultHashes.length;
        for (uint256 i; i < n; ++i) settled[resultHashes[i]] = true;
    }
}
