// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BatchHeader, ExecutionResult, Request} from "../OpgTypes.sol";
import {IQuorumErrors} from "./IQuorumErrors.sol";

/// @title IInferenceHub
/// @notice Requests, escrow, batch settlement, delivery, refunds, the ZK trustless path and equivocation challenges.
interface IInferenceHub is IQuorumErrors {
    // ------------------------------------------------------------------ events

    /// @notice A request was made; carries everything an executor needs.
    /// @param requestId Id assigned by the hub.
    /// @param modelId Requested model.
    /// @param requester Payer (refunds go to it).
    /// @param request The committed request record; pass it back to deliver/settleWithProof/refund.
    /// @param input Canonical tensor encoding of the inputs when sent inline; empty otherwise.
    /// @param inputURI Where the inputs can be fetched when not sent inline; empty otherwise.
    event InferenceRequested(
        bytes32 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        Request request,
        bytes input,
        string inputURI
    );
    /// @notice A batch root was settled by a verifier quorum.
    event BatchSettled(
        uint64 indexed batchId, bytes32 indexed configDigest, bytes32 root, uint32 count, address submitter
    );
    /// @notice A request was delivered. `batchId` is 0 when settled through a ZK proof (settleWithProof).
    event ResultDelivered(
        bytes32 indexed requestId,
        address indexed executor,
        uint64 indexed batchId,
        bytes32 outputHash,
        bool callbackSuccess
    );
    /// @notice An expired request was refunded (credited to the requester).
    event Refunded(bytes32 indexed requestId, address indexed requester, uint256 amount);
    /// @notice Fees of a slashed key were forfeited to the treasury (at the slash, or when withdrawn later).
    event FeesForfeited(address indexed account, address indexed treasury, uint256 amount);
    /// @notice The deliverer was credited `paid` wei for the callback's `gasUsed` from the request's escrow.
    event CallbackGasReimbursed(bytes32 indexed requestId, address indexed deliverer, uint256 gasUsed, uint256 paid);
    /// @notice The network owner changed the verifier fee share (basis points) of batches settled from now on.
    event VerifierFeeChanged(uint16 previousBps, uint16 newBps);
    /// @notice A balance was withdrawn.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice An executor key signed two results with different output hashes for one request.
    event ExecutorEquivocationProven(
        address indexed signer, bytes32 indexed requestId, address indexed challenger, uint256 slashed
    );
    /// @notice A verifier key signed two different batch headers for one (configDigest, batchId).
    event VerifierEquivocationProven(
        address indexed signer, uint64 indexed batchId, address indexed challenger, uint256 slashed
    );

    // ------------------------------------------------------------------ errors

    /// @notice Mode is not 0, 1 or 2.
    error InvalidMode(uint8 mode);
    /// @notice The listing is unknown or disabled.
    error ModelNotAvailable(bytes32 listingId);
    /// @notice The listing does not support the mode.
    error ModeNotSupported(bytes32 listingId, uint8 mode);
    /// @notice `msg.value` below the listing's price.
    error FeeTooLow(uint256 given, uint256 price);
    /// @notice `msg.value` does not fit in 96 bits.
    error FeeTooHigh(uint256 given);
    /// @notice Empty inline input, or zero input hash.
    error EmptyInput();
    /// @notice Inline input above the limit; use requestInferenceByRef.
    error InputTooLarge(uint256 size, uint256 max);
    /// @notice Missing URI for a by-reference input.
    error MissingInputURI();
    /// @notice Deadline not in the future.
    error InvalidDeadline(uint64 deadline);
    /// @notice Callback gas limit above the maximum.
    error CallbackGasLimitTooHigh(uint32 given, uint32 max);
    /// @notice No such request.
    error UnknownRequest(bytes32 requestId);
    /// @notice The request record passed does not match the commitment.
    error RequestMismatch(bytes32 requestId);
    /// @notice The request was already delivered.
    error AlreadyDelivered(bytes32 requestId);
    /// @notice The request was refunded.
    error AlreadyRefunded(bytes32 requestId);
    /// @notice The request's deadline has passed.
    error RequestExpired(bytes32 requestId, uint64 deadline);
    /// @notice The request's deadline has not passed yet.
    error RequestNotExpired(bytes32 requestId, uint64 deadline);
    /// @notice batchId must exceed the last settled batch id.
    error BatchIdNotNext(uint64 batchId, uint64 lastBatchId);
    /// @notice Batch root or count is zero.
    error EmptyBatch();
    /// @notice A signature is malformed, malleable (high s) or does not recover.
    error InvalidSignature(uint256 index);
    /// @notice No batch settled under this id.
    error UnknownBatch(uint64 batchId);
    /// @notice The Merkle proof does not lead to the batch root.
    error InvalidMerkleProof();
    /// @notice Not enough gas left to give the callback its full gas limit (63/64 rule).
    error InsufficientGasForCallback(uint256 available, uint256 required);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();
    /// @notice settleWithProof on a request whose mode is not ZK.
    error NotZkRequest(bytes32 requestId);
    /// @notice The listing's ZK key is not sealed by f + 1 verifiers (or its verifier's code changed).
    error ZkKeyNotSealed(bytes32 listingId);
    /// @notice keccak256(input) differs from the request's inputHash.
    error InputMismatch(bytes32 requestId);
    /// @notice The model's verifier rejected the proof.
    error InvalidZkProof();
    /// @notice The two statements do not conflict.
    error NotEquivocation();
    /// @notice The two signatures are by different keys.
    error SignersDiffer(address a, address b);
    /// @notice Caller may not withdraw for the account.
    error NotAuthorized(address caller, address account);
    /// @notice Zero balance.
    error NothingToWithdraw(address account);
    /// @notice An ETH transfer failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice Only the network owner (the OperatorRegistry's owner) may call this.
    error NotNetworkOwner(address caller, address owner);
    /// @notice The verifier fee share is above MAX_VERIFIER_FEE_BPS.
    error VerifierFeeTooHigh(uint16 bps, uint16 max);

    // ------------------------------------------------------------------ requests

    /// @notice Requests inference with the input inline; escrows `callbackGasLimit * callbackGasPrice` for the
    /// callback's gas and the rest of `msg.value` (>= the listing's price) as the fee.
    /// @param listingId The ModelRegistry listing the requester trusts; the request's modelId is the listing's.
    /// @param input Canonical tensor encoding of the inputs (1..MAX_INLINE_INPUT_BYTES bytes); inputHash = keccak256(input).
    /// @param mode 0 NONE, 1 ZK, 2 TEE; must be supported by the model.
    /// @param callback Contract implementing IInferenceConsumer, or zero for none.
    /// @param callbackGasLimit Gas given to the callback (<= MAX_CALLBACK_GAS_LIMIT).
    /// @param callbackGasPrice Highest gas price (wei) the deliverer is reimbursed at for the callback's gas.
    /// @param deadline Unix time; delivery allowed until and including it (results settled by then: until
    /// `deadline + DELIVERY_GRACE`), refund after `deadline + DELIVERY_GRACE`.
    /// @return requestId `keccak256(abi.encode(chainId, hub, nonce))`.
    function requestInference(
        bytes32 listingId,
        bytes calldata input,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 callbackGasPrice,
        uint64 deadline
    ) external payable returns (bytes32 requestId);

    /// @notice Requests inference for an input too large to send inline: its hash and where to fetch it.
    /// @param inputHash keccak256 of the canonical tensor encoding of the inputs.
    /// @param inputURI Where executors fetch the encoded inputs.
    /// @dev Other parameters as in {requestInference}.
    function requestInferenceByRef(
        bytes32 listingId,
        bytes32 inputHash,
        string calldata inputURI,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 callbackGasPrice,
        uint64 deadline
    ) external payable returns (bytes32 requestId);

    // ------------------------------------------------------------------ settlement

    /// @notice Settles a batch root signed by f + 1 distinct members of the current verifier set (EIP-712
    /// `BatchRoot`, low-s). Stores only the root; cost does not depend on the batch size.
    /// The verifier that submits (when it is one of the signers; else the first signer) is recorded as the
    /// batch's settler and earns `verifierFeeBps` (as of settlement) of the fee of each of its results when delivered.
    /// @param header {configDigest, batchId, root, count}; the low 40 bits of batchId (the sequence number) must
    /// be those of lastBatchId + 1, the high 24 bits (the agreement round) are free.
    /// @param signatures 65-byte r‖s‖v signatures by verifier keys, in any order.
    function settleBatch(BatchHeader calldata header, bytes[] calldata signatures) external;

    /// @notice Whether a result is in a settled batch (OpenZeppelin MerkleProof over the standard leaf).
    /// @return True when the batch exists and the proof leads from the leaf to its root.
    function verifyResult(
        uint64 batchId,
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice Like {verifyResult} for a precomputed `resultHash` (leaf = keccak256(resultHash)).
    function verifyResultHash(uint64 batchId, bytes32 resultHash, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Delivers a settled result: anyone may call. Checks the request record against its commitment,
    /// the deadline (or, for a batch settled by the deadline, `deadline + DELIVERY_GRACE`),
    /// `outputHash = keccak256(output)` and inclusion of
    /// `(requestId, request.modelId, request.inputHash, outputHash, executor)` in batch `batchId`; marks the
    /// request delivered, credits the batch's `batchVerifierFeeBps` of the fee to its settler and the rest to `executor`
    /// (pull payments, see {withdraw}) and calls the callback with exactly `callbackGasLimit` gas. A reverting
    /// callback does not revert delivery.
    /// @param requestId The request.
    /// @param request The request record from `InferenceRequested`.
    /// @param output Canonical tensor encoding of the outputs.
    /// @param executor The executor signing address in the leaf.
    /// @param batchId The settled batch holding the result.
    /// @param proof Merkle proof of the leaf.
    /// @return callbackSuccess Whether the callback ran without reverting (false when there is none).
    function deliver(
        bytes32 requestId,
        Request calldata request,
        bytes calldata output,
        address executor,
        uint64 batchId,
        bytes32[] calldata proof
    ) external returns (bool callbackSuccess);

    /// @notice The trustless path for ZK requests: delivers once the {IZkVerifier} of the listing the request names
    /// (sealed by f + 1 verifiers, code unchanged since it was set) accepts
    /// `zkProof` for (modelId, weightsCommitment, input, output, executor); no batch or quorum involved.
    /// Anyone may call; the fee goes to `executor`, whom the proof must bind.
    /// @param input Canonical tensor encoding of the inputs; keccak256(input) must equal request.inputHash.
    /// @param zkProof Proof in the verifier's format (Groth16 adapters: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)).
    /// @dev Other parameters as in {deliver}.
    function settleWithProof(
        bytes32 requestId,
        Request calldata request,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata zkProof
    ) external returns (bool callbackSuccess);

    /// @notice Refunds an undelivered request once `deadline + DELIVERY_GRACE` has passed; anyone may call. The
    /// fee is credited to the requester (see {withdraw}).
    function refund(bytes32 requestId, Request calldata request) external;

    /// @notice Withdraws the balance (executor fees, settlement shares, refunds) of `account` to `to`. Callable
    /// by `account`, or by the registry owner of `account` when it is an operator signing key. The balance of a
    /// slashed (burned) key is forfeited to the treasury instead (returns 0).
    /// @return amount Wei sent.
    function withdraw(address account, address payable to) external returns (uint256 amount);

    // ------------------------------------------------------------------ challenges

    /// @notice Slashes the executor whose key signed two `ExecutionResult`s for one requestId with different
    /// output hashes. Anyone may submit; the challenger receives its share of the stake.
    /// @return slashed Wei slashed.
    function challengeExecutorEquivocation(
        ExecutionResult calldata a,
        bytes calldata signatureA,
        ExecutionResult calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed);

    /// @notice Slashes the verifier whose key signed two different `BatchRoot`s (root or count) for one
    /// (configDigest, batchId). Anyone may submit.
    /// @return slashed Wei slashed.
    function challengeVerifierEquivocation(
        BatchHeader calldata a,
        bytes calldata signatureA,
        BatchHeader calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed);

    // ------------------------------------------------------------------ governance

    /// @notice The network owner: the OperatorRegistry's owner (transferred there, with Ownable2Step).
    function owner() external view returns (address);

    /// @notice Network owner: sets the share of each delivered fee (basis points, at most MAX_VERIFIER_FEE_BPS)
    /// credited to the verifier that settled the result's batch; the executor gets the rest. Applies to batches
    /// settled from now on (a settled batch keeps the share it settled under). Emits {VerifierFeeChanged}.
    function setVerifierFeeBps(uint16 bps) external;

    /// @notice Network owner: pauses new requests and settlement (`requestInference`, `requestInferenceByRef`,
    /// `settleBatch`, `settleWithProof` revert with `EnforcedPause`). Delivery of batches settled before the
    /// pause, refunds, withdrawals and challenges stay open: no escrowed funds are trapped. Emits `Paused`.
    function pause() external;

    /// @notice Network owner: lifts the pause. Emits `Unpaused`.
    function unpause() external;

    /// @notice Whether the hub is paused.
    function paused() external view returns (bool);

    /// @notice Share of each delivered fee (basis points) credited to the settler of batches settled from now
    /// on; the executor gets the rest. ZK results settled by proof pay the executor the whole fee.
    function verifierFeeBps() external view returns (uint16);

    // ------------------------------------------------------------------ views

    /// @notice The verifier fee share (basis points) batch `batchId` settled under (0 if none).
    function batchVerifierFeeBps(uint64 batchId) external view returns (uint16);

    /// @notice A settled batch: its root, the verifier paid for settling it and when it settled (zeros if none).
    function batchInfo(uint64 batchId) external view returns (bytes32 root, address settler, uint64 settledAt);

    /// @notice Root of a settled batch (zero if none).
    function batchRoot(uint64 batchId) external view returns (bytes32);

    /// @notice Highest settled batch id (0 before the first).
    function lastBatchId() external view returns (uint64);

    /// @notice Number of on-chain requests made so far (the next request's nonce).
    function requestCount() external view returns (uint256);

    /// @notice 0 unknown, 1 pending, 2 delivered, 3 refunded.
    function requestStatus(bytes32 requestId) external view returns (uint8);

    /// @notice Withdrawable balance of `account`.
    function balanceOf(address account) external view returns (uint256);

    /// @notice The commitment the hub stores for a request record: keccak256(abi.encode(request)).
    function requestCommitment(Request calldata request) external pure returns (bytes32);

    /// @notice The EIP-712 domain separator {name "opg", version "1", chainId, this}.
    function domainSeparator() external view returns (bytes32);

    /// @notice EIP-712 digest of an `InferenceRequest` (the requestId of a direct request).
    function inferenceRequestDigest(
        address requester,
        bytes32 modelId,
        bytes32 inputHash,
        uint8 mode,
        uint256 nonce,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice EIP-712 digest of an `ExecutionResult`.
    function executionResultDigest(ExecutionResult calldata result) external view returns (bytes32);

    /// @notice EIP-712 digest of a `BatchRoot`.
    function batchRootDigest(BatchHeader calldata header) external view returns (bytes32);

    /// @notice resultHash = keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor)).
    function resultHash(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) external pure returns (bytes32);

    /// @notice Merkle leaf = keccak256(bytes.concat(resultHash)).
    function resultLeaf(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) external pure returns (bytes32);
}
