// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title opg shared types
/// @notice Structs shared by the opg contracts and their ABIs (docs/protocol.md).

/// @notice An on-chain inference request as committed by {InferenceHub.requestInference}.
/// @dev The hub stores only `keccak256(abi.encode(request))`; callers of `deliver`, `settleWithProof` and
/// `refund` pass the struct back (it is emitted in full in `InferenceRequested`).
/// @param requester Account that paid the fee; refunds are credited to it.
/// @param modelId sha256 of the ONNX file (the listing's).
/// @param listingId The ModelRegistry listing the requester trusts (its terms, verifier and measurements apply).
/// @param inputHash keccak256 of the canonical tensor encoding of the inputs.
/// @param mode Proof mode: 0 NONE, 1 ZK, 2 TEE.
/// @param callback Contract called with the output on delivery (`address(0)`: none).
/// @param callbackGasLimit Gas forwarded to the callback.
/// @param callbackGasPrice Highest gas price (wei) at which the deliverer is reimbursed for the callback's gas;
/// `callbackGasLimit * callbackGasPrice` is escrowed besides the fee, and what the callback does not use goes
/// back to the requester.
/// @param deadline Unix time (seconds) after which the request can no longer be delivered (but see the hub's
/// DELIVERY_GRACE) and can be refunded.
/// @param fee Escrowed fee in wei, paid to the executor (and the settling verifier's share) on delivery.
struct Request {
    address requester;
    bytes32 modelId;
    bytes32 listingId;
    bytes32 inputHash;
    uint8 mode;
    address callback;
    uint32 callbackGasLimit;
    uint64 callbackGasPrice;
    uint64 deadline;
    uint96 fee;
}

/// @notice A batch header signed by verifiers (EIP-712 type `BatchRoot`).
/// @param configDigest Digest of the verifier configuration whose members sign.
/// @param batchId Strictly increasing batch number (the first batch has id >= 1).
/// @param root Root of the OpenZeppelin StandardMerkleTree over the batch's results.
/// @param count Number of results in the batch.
struct BatchHeader {
    bytes32 configDigest;
    uint64 batchId;
    bytes32 root;
    uint32 count;
}

/// @notice A result as signed by an executor (EIP-712 type `ExecutionResult`).
struct ExecutionResult {
    bytes32 requestId;
    bytes32 modelId;
    bytes32 inputHash;
    bytes32 outputHash;
    uint8 mode;
}
