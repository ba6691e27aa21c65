// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IZkVerifier
/// @notice The ZK verifier a model registers in the ModelRegistry (`zkVerifier`), called by
/// `InferenceHub.settleWithProof`. It is a small adapter in front of the model's snarkjs-generated Groth16
/// verifier: it maps the values the hub has bound on chain to the circuit's public signals (whose number and
/// meaning vary per circuit) and calls `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])`, e.g.
/// through {Groth16.verifyProof}. {KeccakGroth16Adapter} is a reference implementation.
/// @dev The hub has checked `keccak256(input) == request.inputHash`; `output` is what gets delivered and its
/// keccak256 is the result's outputHash. An implementation MUST bind `executor` (the account that is paid),
/// otherwise anyone who sees a proof can claim the fee with it. It must be a view and return true only for a
/// valid proof.
interface IZkVerifier {
    /// @notice Whether `proof` shows that the model committed to by `weightsCommitment` maps `input` to
    /// `output`, for `executor`.
    /// @param modelId The model (sha256 of its ONNX file).
    /// @param weightsCommitment The commitment registered with the model.
    /// @param input Canonical tensor encoding of the inputs.
    /// @param output Canonical tensor encoding of the outputs.
    /// @param executor The executor credited with the fee.
    /// @param proof Proof bytes in the adapter's format (for Groth16: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)).
    /// @return valid True when the proof is valid.
    function verifyResult(
        bytes32 modelId,
        bytes32 weightsCommitment,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata proof
    ) external view returns (bool valid);

    /// @notice keccak256 of the Groth16 verification key this verifier checks proofs against (the `vkHash` a
    /// listing declares and f + 1 verifiers seal): keccak256(abi.encode(alpha1, beta2, gamma2, delta2, IC)) with
    /// G1 points as uint256[2] and G2 points as uint256[2][2] in the EIP-197 order (x1, x0, y1, y0).
    function verificationKeyHash() external view returns (bytes32);
}
