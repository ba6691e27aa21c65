// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title Groth16
/// @notice Calls a snarkjs-generated Groth16 verifier (`snarkjs zkey export solidityverifier`), whose function
/// `verifyProof(uint256[2] _pA, uint256[2][2] _pB, uint256[2] _pC, uint256[N] _pubSignals) view returns (bool)`
/// has a circuit-specific N, with a low-level staticcall: the selector is derived from N and, all arguments
/// being static arrays, the calldata is the selector followed by the 8 proof words and the N signals.
library Groth16 {
    /// @notice BN254 scalar field modulus r: every public signal must be below it.
    uint256 internal constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])`.
    function selector(uint256 n) internal pure returns (bytes4) {
        return bytes4(
            keccak256(
                bytes.concat("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", bytes(Strings.toString(n)), "])")
            )
        );
    }

    /// @notice Verifies `proof` (abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c), 256 bytes) for
    /// `pubSignals` with `verifier`. A revert, a short or non-true return, or a malformed proof gives false.
    function verifyProof(address verifier, bytes calldata proof, uint256[] memory pubSignals)
        internal
        view
        returns (bool valid)
    {
        if (proof.length != 256) return false;
        uint256 n = pubSignals.length;
        bytes memory data = bytes.concat(selector(n), proof, abi.encodePacked(pubSignals));
        assembly ("memory-safe") {
            mstore(0x00, 0)
            let ok := staticcall(gas(), verifier, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
    }
}
