// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {BatchHeader, ExecutionResult, Request} from "./OpgTypes.sol";
import {IInferenceConsumer} from "./interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "./interfaces/IInferenceHub.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {IZkVerifier} from "./interfaces/IZkVerifier.sol";
import {OpgHashes} from "./libraries/OpgHashes.sol";

/// @title InferenceHub
/// @notice Entry point of opg on chain: dApps request inference and escrow fees; a verifier quorum settles
/// Merkle roots of verified results; anyone delivers a settled result (paying the executor and calling the
/// dApp back); ZK requests can also be settled trustlessly through the model's verifier; equivocation
/// evidence slashes operators through the {OperatorRegistry}.
/// @dev Storage per request is one slot: `keccak256(abi.encode(Request))` while pending, then a sentinel
/// (delivered / refunded). The request record travels in the `InferenceRequested` event and is passed back
/// by `deliver`, `settleWithProof` and `refund`. Escrow invariant: balance = Σ fees of pending requests +
/// Σ `balanceOf` (credited executor fees and refunds not yet withdrawn).
contract InferenceHub is IInferenceHub, EIP712, ReentrancyGuardTransient {
    /// @notice Proof mode NONE.
    uint8 public constant MODE_NONE = 0;
    /// @notice Proof mode ZK.
    uint8 public constant MODE_ZK = 1;
    /// @notice Proof mode TEE.
    uint8 public constant MODE_TEE = 2;
    /// @notice Largest inline input; larger inputs go through requestInferenceByRef.
    uint256 public constant MAX_INLINE_INPUT_BYTES = 8192;
    /// @notice Largest callback gas limit.
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 2_500_000;
    /// @notice Gas kept back around the callback for the call itself and the code after it.
    uint256 public constant CALLBACK_GAS_RESERVE = 15_000;

    /// @notice Request status: unknown.
    uint8 public constant STATUS_NONE = 0;
    /// @notice Request status: pending.
    uint8 public constant STATUS_PENDING = 1;
    /// @notice Request status: delivered.
    uint8 public constant STATUS_DELIVERED = 2;
    /// @notice Request status: refunded.
    uint8 public constant STATUS_REFUNDED = 3;

    bytes32 private constant DELIVERED = bytes32(uint256(1));
    bytes32 private constant REFUNDED = bytes32(uint256(2));

    /// @notice Operators, verifier set, slashing.
    IOperatorRegistry public immutable operatorRegistry;
    /// @notice Models, prices, ZK verifiers.
    IModelRegistry public immutable modelRegistry;

    /// @inheritdoc IInferenceHub
    uint64 public lastBatchId;

    // requestCount + 1; starts at 1 so that no request pays for initialising the slot.
    uint256 private _nextNonce = 1;

    mapping(bytes32 requestId => bytes32 state) private _requests;
    mapping(uint64 batchId => bytes32 root) private _roots;
    mapping(address account => uint256) private _balances;

    /// @param operatorRegistry_ The OperatorRegistry (its `hub` must be set to this contract afterwards).
    /// @param modelRegistry_ The ModelRegistry.
    constructor(IOperatorRegistry operatorRegistry_, IModelRegistry modelRegistry_) EIP712("opg", "1") {
        if (address(operatorRegistry_) == address(0) || address(modelRegistry_) == address(0)) revert ZeroAddress();
        operatorRegistry = operatorRegistry_;
        modelRegistry = modelRegistry_;
    }

    // ================================================================== requests

    /// @inheritdoc IInferenceHub
    function requestInference(
        bytes32 listingId,
        bytes calldata input,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable returns (bytes32 requestId) {
        uint256 size = input.length;
        if (size == 0) revert EmptyInput();
        if (size > MAX_INLINE_INPUT_BYTES) revert InputTooLarge(size, MAX_INLINE_INPUT_BYTES);
        Request memory r = _newRequest(listingId, keccak256(input), mode, callback, callbackGasLimit, deadline);
        requestId = _store(r);
        emit InferenceRequested(requestId, r.modelId, msg.sender, r, input, "");
    }

    /// @inheritdoc IInferenceHub
    function requestInferenceByRef(
        bytes32 listingId,
        bytes32 inputHash,
        string calldata inputURI,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable returns (bytes32 requestId) {
        if (inputHash == bytes32(0)) revert EmptyInput();
        if (bytes(inputURI).length == 0) revert MissingInputURI();
        Request memory r = _newRequest(listingId, inputHash, mode, callback, callbackGasLimit, deadline);
        requestId = _store(r);
        emit InferenceRequested(requestId, r.modelId, msg.sender, r, "", inputURI);
    }

    // ================================================================== settlement

    /// @inheritdoc IInferenceHub
    function settleBatch(BatchHeader calldata header, bytes[] calldata signatures) external {
        uint64 batchId = header.batchId;
        uint64 last = lastBatchId;
        if (batchId <= last) revert BatchIdNotIncreasing(batchId, last);
        bytes32 root = header.root;
        if (root == bytes32(0) || header.count == 0) revert EmptyBatch();

        bytes32 digest = _hashTypedDataV4(OpgHashes.hashBatchRoot(header));
        uint256 n = signatures.length;
        address[] memory signers = new address[](n);
        for (uint256 i; i < n; ++i) {
            signers[i] = _recover(digest, signatures[i], i);
        }
        // Reverts unless >= f + 1 distinct members of the set identified by header.configDigest signed.
        operatorRegistry.checkQuorum(header.configDigest, signers);

        lastBatchId = batchId;
        _roots[batchId] = root;
        emit BatchSettled(batchId, header.configDigest, root, header.count, msg.sender);
    }

    /// @inheritdoc IInferenceHub
    function verifyResult(
        uint64 batchId,
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _roots[batchId];
        return root != bytes32(0)
            && MerkleProof.verifyCalldata(proof, root, OpgHashes.leaf(requestId, modelId, inputHash, outputHash, executor));
    }

    /// @inheritdoc IInferenceHub
    function verifyResultHash(uint64 batchId, bytes32 resultHash_, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _roots[batchId];
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, keccak256(abi.encode(resultHash_)));
    }

    // ================================================================== delivery

    /// @inheritdoc IInferenceHub
    function deliver(
        bytes32 requestId,
        Request calldata request,
        bytes calldata output,
        address executor,
        uint64 batchId,
        bytes32[] calldata proof
    ) external nonReentrant returns (bool callbackSuccess) {
        _checkPending(requestId, request);
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        if (executor == address(0)) revert ZeroAddress();
        bytes32 outputHash = keccak256(output);
        bytes32 root = _roots[batchId];
        if (root == bytes32(0)) revert UnknownBatch(batchId);
        bytes32 leaf = OpgHashes.leaf(requestId, request.modelId, request.inputHash, outputHash, executor);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidMerkleProof();
        callbackSuccess = _complete(requestId, request, output, outputHash, executor, batchId);
    }

    /// @inheritdoc IInferenceHub
    function settleWithProof(
        bytes32 requestId,
        Request calldata request,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata zkProof
    ) external nonReentrant returns (bool callbackSuccess) {
        _checkPending(requestId, request);
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        if (request.mode != MODE_ZK) revert NotZkRequest(requestId);
        if (executor == address(0)) revert ZeroAddress();
        if (keccak256(input) != request.inputHash) revert InputMismatch(requestId);
        // The listing the request names: its verifier is set once, code-pinned, and usable once its key is sealed.
        (, bytes32 weightsCommitment, address verifier) = modelRegistry.zkSettlementConfig(request.listingId);
        if (verifier == address(0)) revert ZkKeyNotSealed(request.listingId);
        bytes memory data = abi.encodeCall(
            IZkVerifier.verifyResult, (request.modelId, weightsCommitment, input, output, executor, zkProof)
        );
        if (!_staticcallTrue(verifier, data)) revert InvalidZkProof();
        callbackSuccess = _complete(requestId, request, output, keccak256(output), executor, 0);
    }

    /// @inheritdoc IInferenceHub
    function refund(bytes32 requestId, Request calldata request) external nonReentrant {
        _checkPending(requestId, request);
        if (block.timestamp <= request.deadline) revert RequestNotExpired(requestId, request.deadline);
        _requests[requestId] = REFUNDED;
        _balances[request.requester] += request.fee;
        emit Refunded(requestId, request.requester, request.fee);
    }

    /// @inheritdoc IInferenceHub
    function withdraw(address account, address payable to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        if (msg.sender != account && msg.sender != operatorRegistry.ownerOfSigner(account)) {
            revert NotAuthorized(msg.sender, account);
        }
        amount = _balances[account];
        if (amount == 0) revert NothingToWithdraw(account);
        _balances[account] = 0;
        emit Withdrawn(account, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    // ================================================================== challenges

    /// @inheritdoc IInferenceHub
    function challengeExecutorEquivocation(
        ExecutionResult calldata a,
        bytes calldata signatureA,
        ExecutionResult calldata b,
        bytes calldata signatureB
    ) external nonReentrant returns (uint256 slashed) {
        if (a.requestId != b.requestId || a.outputHash == b.outputHash) revert NotEquivocation();
        address signer = _recover(_hashTypedDataV4(OpgHashes.hashExecutionResult(a)), signatureA, 0);
        address other = _recover(_hashTypedDataV4(OpgHashes.hashExecutionResult(b)), signatureB, 1);
        if (signer != other) revert SignersDiffer(signer, other);
        slashed = operatorRegistry.slash(signer, msg.sender);
        emit ExecutorEquivocationProven(signer, a.requestId, msg.sender, slashed);
    }

    /// @inheritdoc IInferenceHub
    function challengeVerifierEquivocation(
        BatchHeader calldata a,
        bytes calldata signatureA,
        BatchHeader calldata b,
        bytes calldata signatureB
    ) external nonReentrant returns (uint256 slashed) {
        if (
            a.configDigest != b.configDigest || a.batchId != b.batchId || (a.root == b.root && a.count == b.count)
        ) revert NotEquivocation();
        address signer = _recover(_hashTypedDataV4(OpgHashes.hashBatchRoot(a)), signatureA, 0);
        address other = _recover(_hashTypedDataV4(OpgHashes.hashBatchRoot(b)), signatureB, 1);
        if (signer != other) revert SignersDiffer(signer, other);
        slashed = operatorRegistry.slash(signer, msg.sender);
        emit VerifierEquivocationProven(signer, a.batchId, msg.sender, slashed);
    }

    // ================================================================== views

    /// @inheritdoc IInferenceHub
    function batchRoot(uint64 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @inheritdoc IInferenceHub
    function requestCount() external view returns (uint256) {
        return _nextNonce - 1;
    }

    /// @inheritdoc IInferenceHub
    function requestStatus(bytes32 requestId) external view returns (uint8) {
        bytes32 state = _requests[requestId];
        if (state == bytes32(0)) return STATUS_NONE;
        if (state == DELIVERED) return STATUS_DELIVERED;
        if (state == REFUNDED) return STATUS_REFUNDED;
        return STATUS_PENDING;
    }

    /// @inheritdoc IInferenceHub
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IInferenceHub
    function requestCommitment(Request calldata request) external pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    /// @inheritdoc IInferenceHub
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IInferenceHub
    function inferenceRequestDigest(
        address requester,
        bytes32 modelId,
        bytes32 inputHash,
        uint8 mode,
        uint256 nonce,
        uint64 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(OpgHashes.hashInferenceRequest(requester, modelId, inputHash, mode, nonce, deadline));
    }

    /// @inheritdoc IInferenceHub
    function executionResultDigest(ExecutionResult calldata result) external view returns (bytes32) {
        return _hashTypedDataV4(OpgHashes.hashExecutionResult(result));
    }

    /// @inheritdoc IInferenceHub
    function batchRootDigest(BatchHeader calldata header) external view returns (bytes32) {
        return _hashTypedDataV4(OpgHashes.hashBatchRoot(header));
    }

    /// @inheritdoc IInferenceHub
    function resultHash(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) external pure returns (bytes32) {
        return OpgHashes.resultHash(requestId, modelId, inputHash, outputHash, executor);
    }

    /// @inheritdoc IInferenceHub
    function resultLeaf(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor
    ) external pure returns (bytes32) {
        return OpgHashes.leaf(requestId, modelId, inputHash, outputHash, executor);
    }

    // ================================================================== internals

    function _newRequest(
        bytes32 listingId,
        bytes32 inputHash,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) private view returns (Request memory r) {
        if (mode > MODE_TEE) revert InvalidMode(mode);
        (bytes32 modelId, uint8 modes, uint256 price) = modelRegistry.requestTerms(listingId);
        if (modes == 0) revert ModelNotAvailable(listingId);
        if ((modes >> mode) & 1 == 0) revert ModeNotSupported(listingId, mode);
        if (msg.value < price) revert FeeTooLow(msg.value, price);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value);
        if (deadline <= block.timestamp) revert InvalidDeadline(deadline);
        if (callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
            revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
        }
        r = Request({
            requester: msg.sender,
            modelId: modelId,
            listingId: listingId,
            inputHash: inputHash,
            mode: mode,
            callback: callback,
            callbackGasLimit: callbackGasLimit,
            deadline: deadline,
            fee: uint96(msg.value)
        });
    }

    function _store(Request memory r) private returns (bytes32 requestId) {
        uint256 next = _nextNonce;
        _nextNonce = next + 1;
        // nonce = index of the request (0 for the first one).
        requestId = keccak256(abi.encode(block.chainid, address(this), next - 1));
        _requests[requestId] = keccak256(abi.encode(r));
    }

    /// Reverts unless `request` is the record committed for the pending `requestId`.
    function _checkPending(bytes32 requestId, Request calldata request) private view {
        bytes32 state = _requests[requestId];
        if (state != keccak256(abi.encode(request))) {
            if (state == bytes32(0)) revert UnknownRequest(requestId);
            if (state == DELIVERED) revert AlreadyDelivered(requestId);
            if (state == REFUNDED) revert AlreadyRefunded(requestId);
            revert RequestMismatch(requestId);
        }
    }

    /// Marks delivered, credits the executor, then calls back (checks-effects-interactions).
    function _complete(
        bytes32 requestId,
        Request calldata request,
        bytes calldata output,
        bytes32 outputHash,
        address executor,
        uint64 batchId
    ) private returns (bool callbackSuccess) {
        _requests[requestId] = DELIVERED;
        _balances[executor] += request.fee;
        address callback = request.callback;
        if (callback != address(0)) {
            callbackSuccess = _callConsumer(callback, request.callbackGasLimit, requestId, output);
        }
        emit ResultDelivered(requestId, executor, batchId, outputHash, callbackSuccess);
    }

    /// Calls the consumer with exactly `gasLimit` gas (reverts if the 63/64 rule would give it less), copies
    /// no return data and never reverts because of the callee.
    function _callConsumer(address target, uint256 gasLimit, bytes32 requestId, bytes calldata output)
        private
        returns (bool success)
    {
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, output));
        // The callee gets min(gasLimit, 63/64 of what is left at the CALL). Require enough for the full limit
        // plus CALLBACK_GAS_RESERVE for the CALL's own costs and the code after it.
        uint256 required = gasLimit + gasLimit / 63 + CALLBACK_GAS_RESERVE;
        uint256 available = gasleft();
        if (available < required) revert InsufficientGasForCallback(available, required);
        if (target.code.length == 0) return false;
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    /// Staticcalls `target`; true iff it returns at least 32 bytes whose first word is 1 (a revert or any other
    /// answer is false). Copies at most 32 bytes of return data.
    function _staticcallTrue(address target, bytes memory data) private view returns (bool result) {
        assembly ("memory-safe") {
            mstore(0x00, 0)
            let ok := staticcall(gas(), target, add(data, 0x20), mload(data), 0x00, 0x20)
            result := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
    }

    function _recover(bytes32 digest, bytes calldata signature, uint256 index) private pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(index);
        return signer;
    }
}
