// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
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
/// by `deliver`, `settleWithProof` and `refund`. Escrow invariant: balance = Σ (fee + callback gas escrow) of
/// pending requests + Σ `balanceOf` (credited executor fees, settlement shares, callback gas reimbursements
/// and refunds not yet withdrawn). Fee flow: docs/protocol.md ("Who is paid").
/// Governance: the network owner is the {OperatorRegistry}'s owner (one key for the whole network). It sets the
/// verifier fee share (`setVerifierFeeBps`, at most MAX_VERIFIER_FEE_BPS) and can pause: a paused hub takes no
/// new requests and settles nothing (`requestInference*`, `settleBatch`, `settleWithProof`), while everything
/// that moves escrowed funds out stays open (`deliver` of batches settled before the pause, `refund`,
/// `withdraw`) and so do the equivocation challenges: pausing never traps funds.
contract InferenceHub is IInferenceHub, EIP712, Pausable, ReentrancyGuardTransient {
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
    /// @notice The verifier fee share a new hub starts with (basis points): 10 %.
    uint16 public constant DEFAULT_VERIFIER_FEE_BPS = 1_000;
    /// @notice Most the network owner can set the verifier fee share to (basis points): 50 %.
    uint16 public constant MAX_VERIFIER_FEE_BPS = 5_000;
    /// @notice Seconds after a request's deadline during which a result settled by the deadline can still be
    /// delivered, and no refund is possible (so a requester cannot wait out a settled result).
    uint64 public constant DELIVERY_GRACE = 1 hours;
    /// @notice Bits of a batch id holding its sequence number; the rest is the agreement round.
    uint256 public constant BATCH_SEQUENCE_BITS = 40;

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

    // Pausable's flag, lastBatchId, verifierFeeBps and _nextNonce share one storage slot: a request and a
    // settlement read it once (the pause check costs no extra cold read).

    /// @inheritdoc IInferenceHub
    uint64 public lastBatchId;

    /// @inheritdoc IInferenceHub
    uint16 public verifierFeeBps = DEFAULT_VERIFIER_FEE_BPS;

    // requestCount + 1; starts at 1 so that no request pays for initialising the slot.
    uint64 private _nextNonce = 1;

    mapping(bytes32 requestId => bytes32 state) private _requests;
    mapping(uint64 batchId => bytes32 root) private _roots;
    // settler (low 160 bits) | settledAt << 160 | verifierFeeBps at settlement << 224
    mapping(uint64 batchId => uint256 info) private _batchInfo;
    mapping(address account => uint256) private _balances;

    /// @param operatorRegistry_ The OperatorRegistry (its `hub` must be set to this contract afterwards).
    /// @param modelRegistry_ The ModelRegistry.
    constructor(IOperatorRegistry operatorRegistry_, IModelRegistry modelRegistry_) EIP712("opg", "1") {
        if (address(operatorRegistry_) == address(0) || address(modelRegistry_) == address(0)) revert ZeroAddress();
        operatorRegistry = operatorRegistry_;
        modelRegistry = modelRegistry_;
    }

    /// Only the network owner (the OperatorRegistry's owner).
    modifier onlyNetworkOwner() {
        address owner_ = owner();
        if (msg.sender != owner_) revert NotNetworkOwner(msg.sender, owner_);
        _;
    }

    // ================================================================== governance

    /// @inheritdoc IInferenceHub
    function owner() public view returns (address) {
        return Ownable(address(operatorRegistry)).owner();
    }

    /// @inheritdoc IInferenceHub
    function setVerifierFeeBps(uint16 bps) external onlyNetworkOwner {
        if (bps > MAX_VERIFIER_FEE_BPS) revert VerifierFeeTooHigh(bps, MAX_VERIFIER_FEE_BPS);
        emit VerifierFeeChanged(verifierFeeBps, bps);
        verifierFeeBps = bps;
    }

    /// @inheritdoc IInferenceHub
    function pause() external onlyNetworkOwner {
        _pause();
    }

    /// @inheritdoc IInferenceHub
    function unpause() external onlyNetworkOwner {
        _unpause();
    }

    /// @inheritdoc IInferenceHub
    function paused() public view override(IInferenceHub, Pausable) returns (bool) {
        return super.paused();
    }

    // ================================================================== requests

    /// @inheritdoc IInferenceHub
    function requestInference(
        bytes32 listingId,
        bytes calldata input,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        uint64 callbackGasPrice,
        uint64 deadline
    ) external payable whenNotPaused returns (bytes32 requestId) {
        uint256 size = input.length;
        if (size == 0) revert EmptyInput();
        if (size > MAX_INLINE_INPUT_BYTES) revert InputTooLarge(size, MAX_INLINE_INPUT_BYTES);
        Request memory r =
            _newRequest(listingId, keccak256(input), mode, callback, callbackGasLimit, callbackGasPrice, deadline);
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
        uint64 callbackGasPrice,
        uint64 deadline
    ) external payable whenNotPaused returns (bytes32 requestId) {
        if (inputHash == bytes32(0)) revert EmptyInput();
        if (bytes(inputURI).length == 0) revert MissingInputURI();
        Request memory r =
            _newRequest(listingId, inputHash, mode, callback, callbackGasLimit, callbackGasPrice, deadline);
        requestId = _store(r);
        emit InferenceRequested(requestId, r.modelId, msg.sender, r, "", inputURI);
    }

    // ================================================================== settlement

    /// @inheritdoc IInferenceHub
    function settleBatch(BatchHeader calldata header, bytes[] calldata signatures) external whenNotPaused {
        uint64 batchId = header.batchId;
        uint64 last = lastBatchId;
        // Sequence numbers are consecutive (a quorum cannot jump ahead and stop settlement); the round bits
        // above them are free.
        if (uint40(batchId) != uint256(uint40(last)) + 1) revert BatchIdNotNext(batchId, last);
        bytes32 root = header.root;
        if (root == bytes32(0) || header.count == 0) revert EmptyBatch();

        bytes32 digest = _hashTypedDataV4(OpgHashes.hashBatchRoot(header));
        uint256 n = signatures.length;
        address[] memory signers = new address[](n);
        address settler = address(0);
        for (uint256 i; i < n; ++i) {
            address signer = _recover(digest, signatures[i], i);
            signers[i] = signer;
            if (signer == msg.sender) settler = signer;
        }
        // Reverts unless >= f + 1 distinct members of the set identified by header.configDigest signed.
        operatorRegistry.checkQuorum(header.configDigest, signers);
        // The settlement share goes to the submitting verifier; a relayer (or a front-runner copying the
        // signatures) earns nothing: the share goes to the first signer.
        if (settler == address(0)) settler = signers[0];

        lastBatchId = batchId;
        _roots[batchId] = root;
        // The fee share is fixed at settlement: a later change does not touch settled batches.
        _batchInfo[batchId] =
            uint256(uint160(settler)) | (block.timestamp << 160) | (uint256(verifierFeeBps) << 224);
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
        if (executor == address(0)) revert ZeroAddress();
        bytes32 root = _roots[batchId];
        if (root == bytes32(0)) revert UnknownBatch(batchId);
        uint256 info = _batchInfo[batchId];
        // Deliverable until the deadline, and for DELIVERY_GRACE after it when the batch settled by then.
        uint256 deadline = request.deadline;
        if (
            block.timestamp > deadline
                && (block.timestamp > deadline + DELIVERY_GRACE || uint64(info >> 160) > deadline)
        ) {
            revert RequestExpired(requestId, request.deadline);
        }
        bytes32 outputHash = keccak256(output);
        bytes32 leaf = OpgHashes.leaf(requestId, request.modelId, request.inputHash, outputHash, executor);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidMerkleProof();
        callbackSuccess = _complete(requestId, request, output, outputHash, executor, batchId, info);
    }

    /// @inheritdoc IInferenceHub
    function settleWithProof(
        bytes32 requestId,
        Request calldata request,
        bytes calldata input,
        bytes calldata output,
        address executor,
        bytes calldata zkProof
    ) external nonReentrant whenNotPaused returns (bool callbackSuccess) {
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
        callbackSuccess = _complete(requestId, request, output, keccak256(output), executor, 0, 0);
    }

    /// @inheritdoc IInferenceHub
    function refund(bytes32 requestId, Request calldata request) external nonReentrant {
        _checkPending(requestId, request);
        // A result settled by the deadline may still be delivered during the grace period: no refund before
        // it ends, so a requester cannot take back the fee of a result it can already read.
        if (block.timestamp <= uint256(request.deadline) + DELIVERY_GRACE) {
            revert RequestNotExpired(requestId, request.deadline);
        }
        _requests[requestId] = REFUNDED;
        uint256 amount = uint256(request.fee) + uint256(request.callbackGasLimit) * request.callbackGasPrice;
        _balances[request.requester] += amount;
        emit Refunded(requestId, request.requester, amount);
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
        if (operatorRegistry.getSignerInfo(account).burned) {
            // Fees earned by a slashed key (credited before or after the slash) go to the treasury.
            _forfeit(account, amount);
            return 0;
        }
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
        _forfeit(signer, _takeBalance(signer));
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
        _forfeit(signer, _takeBalance(signer));
        emit VerifierEquivocationProven(signer, a.batchId, msg.sender, slashed);
    }

    // ================================================================== views

    /// @inheritdoc IInferenceHub
    function batchRoot(uint64 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @inheritdoc IInferenceHub
    function batchInfo(uint64 batchId) external view returns (bytes32 root, address settler, uint64 settledAt) {
        uint256 info = _batchInfo[batchId];
        return (_roots[batchId], address(uint160(info)), uint64(info >> 160));
    }

    /// @inheritdoc IInferenceHub
    function batchVerifierFeeBps(uint64 batchId) external view returns (uint16) {
        return uint16(_batchInfo[batchId] >> 224);
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
        uint64 callbackGasPrice,
        uint64 deadline
    ) private view returns (Request memory r) {
        if (mode > MODE_TEE) revert InvalidMode(mode);
        (bytes32 modelId, uint8 modes, uint256 price) = modelRegistry.requestTerms(listingId);
        if (modes == 0) revert ModelNotAvailable(listingId);
        if ((modes >> mode) & 1 == 0) revert ModeNotSupported(listingId, mode);
        if (callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
            revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
        }
        // The callback's gas is escrowed besides the fee (at most 2.5M x 2^64 wei: no overflow).
        uint256 escrow = uint256(callbackGasLimit) * callbackGasPrice;
        uint256 fee = msg.value > escrow ? msg.value - escrow : 0;
        if (fee < price || msg.value < escrow) revert FeeTooLow(fee, price);
        if (fee > type(uint96).max) revert FeeTooHigh(fee);
        if (deadline <= block.timestamp) revert InvalidDeadline(deadline);
        r = Request({
            requester: msg.sender,
            modelId: modelId,
            listingId: listingId,
            inputHash: inputHash,
            mode: mode,
            callback: callback,
            callbackGasLimit: callbackGasLimit,
            callbackGasPrice: callbackGasPrice,
            deadline: deadline,
            fee: uint96(fee)
        });
    }

    function _store(Request memory r) private returns (bytes32 requestId) {
        uint64 next = _nextNonce;
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

    /// Marks delivered, credits the executor and the settling verifier (`batchInfo`: the batch's record, 0 for
    /// a result settled by proof), then calls back (checks-effects-interactions).
    function _complete(
        bytes32 requestId,
        Request calldata request,
        bytes calldata output,
        bytes32 outputHash,
        address executor,
        uint64 batchId,
        uint256 batchInfo_
    ) private returns (bool callbackSuccess) {
        _requests[requestId] = DELIVERED;
        _payFee(request.fee, executor, address(uint160(batchInfo_)), batchInfo_ >> 224);
        address callback = request.callback;
        uint256 used;
        if (callback != address(0)) {
            uint256 before = gasleft();
            callbackSuccess = _callConsumer(callback, request.callbackGasLimit, requestId, output);
            used = before - gasleft();
        }
        emit ResultDelivered(requestId, executor, batchId, outputHash, callbackSuccess);
        _payCallbackGas(requestId, request, used);
    }

    /// Credits `bps` (the share fixed when the batch settled) of `fee` to the batch's settler (when there is one)
    /// and the rest to the executor.
    function _payFee(uint256 fee, address executor, address settler, uint256 bps) private {
        if (settler != address(0)) {
            uint256 share = (fee * bps) / 10_000;
            if (share != 0) {
                _balances[settler] += share;
                fee -= share;
            }
        }
        _balances[executor] += fee;
    }

    /// Callback gas escrow: the deliverer is reimbursed the callback's gas at min(tx.gasprice, the requester's
    /// bound), up to the escrow; the rest goes back to the requester. Credited after the call, under the
    /// reentrancy guard (the callee cannot reach deliver, refund or withdraw).
    function _payCallbackGas(bytes32 requestId, Request calldata request, uint256 used) private {
        uint256 price = request.callbackGasPrice;
        uint256 escrow = uint256(request.callbackGasLimit) * price;
        if (escrow == 0) return;
        if (tx.gasprice < price) price = tx.gasprice;
        uint256 paid = used * price;
        if (paid > escrow) paid = escrow;
        if (paid != 0) _balances[msg.sender] += paid;
        if (escrow != paid) _balances[request.requester] += escrow - paid;
        emit CallbackGasReimbursed(requestId, msg.sender, used, paid);
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

    function _takeBalance(address account) private returns (uint256 amount) {
        amount = _balances[account];
        if (amount != 0) _balances[account] = 0;
    }

    /// Credits `amount`, taken from `account`, to the registry's treasury.
    function _forfeit(address account, uint256 amount) private {
        if (amount == 0) return;
        address treasury = operatorRegistry.treasury();
        _balances[treasury] += amount;
        emit FeesForfeited(account, treasury, amount);
    }

    function _recover(bytes32 digest, bytes calldata signature, uint256 index) private pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(index);
        return signer;
    }
}
