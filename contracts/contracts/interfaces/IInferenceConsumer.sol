// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IInferenceConsumer
/// @notice Implemented by dApps that want the output of an on-chain inference request pushed to them.
/// @dev Called by {InferenceHub} on delivery with exactly the gas limit set in the request. The call's return
/// data is ignored and a revert does not undo the delivery. Check `msg.sender == hub` in the implementation.
interface IInferenceConsumer {
    /// @notice Receives the output of a delivered request.
    /// @param requestId The request id returned by `requestInference`.
    /// @param output Canonical tensor encoding of the outputs (keccak256(output) is the settled outputHash).
    function onInferenceResult(bytes32 requestId, bytes calldata output) external;
}
