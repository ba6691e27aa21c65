// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZkVerifier} from "../interfaces/IZkVerifier.sol";
import {Groth16} from "../libraries/Groth16.sol";

/// @title KeccakGroth16Adapter
/// @notice Reference {IZkVerifier} for circuits whose public signals bind the keccak hashes directly:
///   [0] weightsCommitment, [1] inputHash >> 128, [2] inputHash & (2^128 - 1),
///   [3] outputHash >> 128, [4] outputHash & (2^128 - 1), [5] uint160(executor),
/// with inputHash = keccak256(input) and outputHash = keccak256(output). Circuits with another layout (e.g.
/// Poseidon commitments to the quantized tensors) ship their own adapter.
contract KeccakGroth16Adapter is IZkVerifier {
    uint256 private constant LOW_128 = type(uint128).max;

    /// @notice The snarkjs verifier of the model's circuit (6 public signals).
    address public immutable groth16Verifier;

    /// @inheritdoc IZkVerifier
    bytes32 public immutable verificationKeyHash;

    /// @param groth16Verifier_ The snarkjs verifier.
    /// @param verificationKeyHash_ Hash of the key `groth16Verifier_` embeds (see {IZkVerifier.verificationKeyHash}).
    constructor(address groth16Verifier_, bytes32 verificationKeyHash_) {
        groth16Verifier = groth16Verifier_;
        verificationKeyHash = verificationKeyHash_;
    }

    /// @inheritdoc IZkVerifier
    function verifyResult(
        bytes32,
        bytes32 weightsCommitment,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata proof
    ) external view returns (bool) {
        return Groth16.verifyProof(
            groth16Verifier, proof, publicSignals(weightsCommitment, keccak256(input), keccak256(output), executor)
        );
    }

    /// @notice The public signals for a result.
    function publicSignals(bytes32 weightsCommitment, bytes32 inputHash, bytes32 outputHash, address executor)
        public
        pure
        returns (uint256[] memory s)
    {
        s = new uint256[](6);
        s[0] = uint256(weightsCommitment);
        s[1] = uint256(inputHash) >> 128;
        s[2] = uint256(inputHash) & LOW_128;
        s[3] = uint256(outputHash) >> 128;
        s[4] = uint256(outputHash) & LOW_128;
        s[5] = uint256(uint160(executor));
    }
}
