// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Groth16} from "../libraries/Groth16.sol";

/// @title MockGroth16Verifier
/// @notice Test stand-in for a snarkjs verifier with N public signals: answers only
/// `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])` and returns true iff `pA[0] == magic` and the
/// signals hash to the expected value (when set).
contract MockGroth16Verifier {
    /// @notice Number of public signals.
    uint256 public immutable n;
    /// @notice Accepted pA[0].
    uint256 public immutable magic;
    /// @notice keccak256(abi.encodePacked(signals)) required, or zero for any.
    bytes32 public expectedSignals;

    /// @param n_ Number of public signals.
    /// @param magic_ Accepted pA[0].
    constructor(uint256 n_, uint256 magic_) {
        n = n_;
        magic = magic_;
    }

    /// @notice Requires these signals from now on.
    function expect(uint256[] calldata signals) external {
        expectedSignals = keccak256(abi.encodePacked(signals));
    }

    /// @notice Answers `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])` with abi.encode(bool).
    fallback(bytes calldata data) external returns (bytes memory) {
        require(bytes4(data[:4]) == Groth16.selector(n), "MockGroth16Verifier: selector");
        require(data.length == 4 + 32 * (8 + n), "MockGroth16Verifier: length");
        uint256 a0 = uint256(bytes32(data[4:36]));
        bool ok = a0 == magic;
        if (expectedSignals != bytes32(0)) ok = ok && keccak256(data[4 + 256:]) == expectedSignals;
        return abi.encode(ok);
    }
}
