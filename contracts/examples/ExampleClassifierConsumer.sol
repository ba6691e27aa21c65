// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../contracts/interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../contracts/interfaces/IInferenceHub.sol";

/// @title ExampleClassifierConsumer
/// @notice Example dApp for opg: asks the network to run a classifier on an input and, when the settled output is
/// delivered, decodes the model's float32 score tensor on chain and stores the class with the highest score.
/// @dev The flow (contracts/examples/README.md):
///   1. a user calls {classify} with the canonical tensor encoding of the model inputs and the fee;
///   2. the contract calls `hub.requestInference` with itself as callback and remembers the request;
///   3. executors run the model, verifiers settle a batch holding the result;
///   4. anyone (e.g. the `deliver` helper of the opg SDK) calls `hub.deliver`, which calls {onInferenceResult} here.
/// Only the hub may call the callback, and only once per request of this contract. A malformed output is
/// recorded as such (never a revert: the hub would mark the request delivered anyway).
contract ExampleClassifierConsumer is IInferenceConsumer {
    /// @notice Where a classification stands.
    enum Status {
        None,
        Pending,
        Classified,
        Malformed
    }

    /// @notice One classification request.
    /// @param requester Who called {classify}.
    /// @param status Pending until the hub delivers the output.
    /// @param classIndex Index of the highest score (valid when Classified).
    /// @param scoreBits IEEE-754 float32 bits of the highest score (valid when Classified).
    /// @param outputHash keccak256 of the delivered output (the settled outputHash).
    struct Classification {
        address requester;
        Status status;
        uint32 classIndex;
        uint32 scoreBits;
        bytes32 outputHash;
    }

    /// @notice Most scores decoded on chain (bounds the callback's gas).
    uint256 public constant MAX_CLASSES = 1024;
    /// @notice Canonical tensor encoding version understood here (docs/protocol.md).
    uint8 private constant ENCODING_VERSION = 1;
    /// @notice dtype code of float32.
    uint8 private constant DTYPE_FLOAT32 = 1;

    /// @notice The opg InferenceHub (the only caller of the callback).
    IInferenceHub public immutable hub;
    /// @notice The ModelRegistry listing of the classifier this dApp trusts (its publisher's verifier, measurements
    /// and price; listings of the same file by others are never used).
    bytes32 public immutable listingId;
    /// @notice Proof mode requested (0 NONE, 1 ZK, 2 TEE).
    uint8 public immutable mode;
    /// @notice Gas the hub forwards to {onInferenceResult}.
    uint32 public immutable callbackGasLimit;
    /// @notice Who may withdraw refunds credited to this contract.
    address public immutable owner;
    /// @notice keccak256 of the name of the score tensor among the model's outputs.
    bytes32 public immutable outputNameHash;
    /// @notice Name of the score tensor among the model's outputs.
    string public outputName;
    /// @notice Class labels (may be empty: then only indices are meaningful).
    string[] private _labels;

    /// @notice Requests made through this contract, by hub requestId.
    mapping(bytes32 requestId => Classification) public classifications;

    /// @notice A classification was requested.
    event ClassificationRequested(bytes32 indexed requestId, address indexed requester);
    /// @notice The output arrived and was decoded.
    event Classified(
        bytes32 indexed requestId, address indexed requester, uint256 classIndex, uint32 scoreBits, bytes32 outputHash
    );
    /// @notice The output arrived but holds no usable float32 score tensor named {outputName}.
    event ClassificationMalformed(bytes32 indexed requestId, bytes32 outputHash);

    /// @notice The callback was called by someone other than the hub.
    error NotHub(address caller);
    /// @notice The callback is for a request this contract did not make, or already answered.
    error NotPending(bytes32 requestId);
    /// @notice Only the owner may do this.
    error NotOwner(address caller);

    /// @param hub_ The opg InferenceHub.
    /// @param listingId_ The classifier's listing.
    /// @param mode_ Proof mode to request.
    /// @param outputName_ Name of the float32 score tensor in the model's outputs.
    /// @param labels_ Class labels, index-aligned with the scores (may be empty).
    /// @param callbackGasLimit_ Gas for the callback: about 230 gas per score plus ~70k for bookkeeping (300k is
    /// enough for MAX_CLASSES scores).
    constructor(
        IInferenceHub hub_,
        bytes32 listingId_,
        uint8 mode_,
        string memory outputName_,
        string[] memory labels_,
        uint32 callbackGasLimit_
    ) {
        hub = hub_;
        listingId = listingId_;
        mode = mode_;
        outputName = outputName_;
        outputNameHash = keccak256(bytes(outputName_));
        _labels = labels_;
        callbackGasLimit = callbackGasLimit_;
        owner = msg.sender;
    }

    // ------------------------------------------------------------------ requests

    /// @notice Requests a classification of `input`; `msg.value` is the fee (at least the model's price) plus the
    /// callback gas escrow `callbackGasLimit * callbackGasPrice` (what the callback does not use is refunded to
    /// this contract's hub balance).
    /// @param input Canonical tensor encoding of the model inputs (docs/protocol.md).
    /// @param callbackGasPrice Highest gas price the deliverer is reimbursed at for the callback.
    /// @param deadline Unix time until which the result can be delivered (refundable after).
    /// @return requestId The hub's request id.
    function classify(bytes calldata input, uint64 callbackGasPrice, uint64 deadline)
        external
        payable
        returns (bytes32 requestId)
    {
        requestId = hub.requestInference{value: msg.value}(
            listingId, input, mode, address(this), callbackGasLimit, callbackGasPrice, deadline
        );
        classifications[requestId] = Classification({
            requester: msg.sender,
            status: Status.Pending,
            classIndex: 0,
            scoreBits: 0,
            outputHash: bytes32(0)
        });
        emit ClassificationRequested(requestId, msg.sender);
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(bytes32 requestId, bytes calldata output) external {
        if (msg.sender != address(hub)) revert NotHub(msg.sender);
        Classification storage c = classifications[requestId];
        if (c.status != Status.Pending) revert NotPending(requestId);
        bytes32 outputHash = keccak256(output);
        c.outputHash = outputHash;
        (bool ok, uint256 index, uint32 bits) = argmax(output);
        if (!ok) {
            c.status = Status.Malformed;
            emit ClassificationMalformed(requestId, outputHash);
            return;
        }
        c.status = Status.Classified;
        c.classIndex = uint32(index);
        c.scoreBits = bits;
        emit Classified(requestId, c.requester, index, bits, outputHash);
    }

    /// @notice Withdraws what the hub credited to this contract (refunds of expired requests) to `to`.
    function withdrawRefunds(address payable to) external returns (uint256 amount) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        return hub.withdraw(address(this), to);
    }

    // ------------------------------------------------------------------ reads

    /// @notice The label of a classified request ("" when unknown, not classified or unlabelled).
    function labelOf(bytes32 requestId) external view returns (string memory) {
        Classification storage c = classifications[requestId];
        if (c.status != Status.Classified || c.classIndex >= _labels.length) return "";
        return _labels[c.classIndex];
    }

    /// @notice All class labels.
    function labels() external view returns (string[] memory) {
        return _labels;
    }

    // ------------------------------------------------------------------ decoding

    /// @notice Finds the float32 tensor named {outputName} in a canonical tensor encoding and returns the index
    /// and the float32 bits of its highest element (NaNs skipped; the first of equal maxima wins).
    /// @dev Encoding (docs/protocol.md), little-endian: u8 version, u16 count, then per tensor: u16 name length,
    /// name, u8 dtype, u8 rank, u32 dims, data. Never reverts: anything unexpected returns ok = false.
    /// @return ok Whether the tensor was found, is float32 with 1..MAX_CLASSES elements and holds a number.
    /// @return index Flat index of the highest element.
    /// @return bits IEEE-754 bits of the highest element.
    function argmax(bytes calldata output) public view returns (bool ok, uint256 index, uint32 bits) {
        (bool found, uint256 start, uint256 elements) = _findScores(output);
        if (!found) return (false, 0, 0);
        return _argmaxFloat32(output, start, elements);
    }

    /// @dev Offset and element count of the float32 tensor named {outputName}; found = false when absent, of
    /// another dtype, empty, larger than MAX_CLASSES, or when the encoding is malformed.
    function _findScores(bytes calldata output) private view returns (bool found, uint256 start, uint256 elements) {
        if (output.length < 3 || _u8(output, 0) != ENCODING_VERSION) return (false, 0, 0);
        uint256 count = _u16(output, 1);
        uint256 p = 3;
        for (uint256 t = 0; t < count; t++) {
            bool wanted;
            uint256 dtype;
            (p, wanted, dtype, elements) = _header(output, p);
            uint256 size = _elementSize(dtype);
            if (p == 0 || size == 0 || p + elements * size > output.length) return (false, 0, 0);
            if (wanted) {
                found = dtype == DTYPE_FLOAT32 && elements > 0 && elements <= MAX_CLASSES;
                return (found, p, elements);
            }
            p += elements * size;
        }
        return (false, 0, 0);
    }

    /// @dev Reads one tensor header at `p`: returns the offset of its data (0 when truncated or too large),
    /// whether its name is {outputName}, its dtype code and its element count (< 2^64).
    function _header(bytes calldata output, uint256 p)
        private
        view
        returns (uint256 next, bool wanted, uint256 dtype, uint256 elements)
    {
        uint256 n = output.length;
        if (p + 2 > n) return (0, false, 0, 0);
        uint256 nameLength = _u16(output, p);
        p += 2;
        if (p + nameLength + 2 > n) return (0, false, 0, 0);
        wanted = keccak256(output[p:p + nameLength]) == outputNameHash;
        p += nameLength;
        dtype = _u8(output, p);
        uint256 rank = _u8(output, p + 1);
        p += 2;
        if (p + 4 * rank > n) return (0, false, 0, 0);
        elements = 1;
        for (uint256 r = 0; r < rank; r++) {
            // Each dim < 2^32 and elements < 2^64 before the product: no overflow.
            elements *= _u32(output, p);
            p += 4;
            if (elements > type(uint64).max) return (0, false, 0, 0);
        }
        next = p;
    }

    /// @dev Argmax over `elements` little-endian float32 values at `start` (the caller checked bounds), comparing
    /// IEEE-754 bits through an order-preserving key: negative values get all bits flipped, others the sign bit
    /// set, so larger numbers get larger keys. NaNs are skipped. In Solidity:
    ///     value = u32le(output, start + 4 * i);  if (value & 0x7fffffff > 0x7f800000) continue;  // NaN
    ///     key = value >= 0x80000000 ? ~value : value | 0x80000000;  if (key > bestKey) { ... }
    /// Every valid key is > 0 (-inf has key 0x007fffff), so bestKey = 0 means nothing found yet.
    function _argmaxFloat32(bytes calldata output, uint256 start, uint256 elements)
        private
        pure
        returns (bool ok, uint256 index, uint32 bits)
    {
        uint256 bestKey;
        uint256 bestBits;
        assembly ("memory-safe") {
            let ptr := add(output.offset, start)
            for { let i := 0 } lt(i, elements) { i := add(i, 1) } {
                let w := shr(224, calldataload(add(ptr, shl(2, i))))
                let value :=
                    or(or(shr(24, w), and(shr(8, w), 0xff00)), or(and(shl(8, w), 0xff0000), and(shl(24, w), 0xff000000)))
                if iszero(gt(and(value, 0x7fffffff), 0x7f800000)) {
                    let key := xor(value, or(mul(shr(31, value), 0x7fffffff), 0x80000000))
                    if gt(key, bestKey) {
                        bestKey := key
                        bestBits := value
                        index := i
                    }
                }
            }
        }
        ok = bestKey != 0;
        bits = uint32(bestBits);
    }

    /// @dev Bytes per element of a dtype code (0: unknown).
    function _elementSize(uint256 dtype) private pure returns (uint256) {
        if (dtype == 2 || dtype == 3 || dtype == 9) return 1; // uint8, int8, bool
        if (dtype == 4 || dtype == 5 || dtype == 10) return 2; // uint16, int16, float16
        if (dtype == 1 || dtype == 6 || dtype == 12) return 4; // float32, int32, uint32
        if (dtype == 7 || dtype == 11 || dtype == 13) return 8; // int64, float64, uint64
        return 0;
    }

    /// @dev The byte at `i` (the caller checked bounds).
    function _u8(bytes calldata b, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := byte(0, calldataload(add(b.offset, i)))
        }
    }

    /// @dev The little-endian u16 at `i` (the caller checked bounds).
    function _u16(bytes calldata b, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            let w := shr(240, calldataload(add(b.offset, i)))
            v := or(shr(8, w), and(shl(8, w), 0xff00))
        }
    }

    /// @dev The little-endian u32 at `i` (the caller checked bounds).
    function _u32(bytes calldata b, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            let w := shr(224, calldataload(add(b.offset, i)))
            v := or(or(shr(24, w), and(shr(8, w), 0xff00)), or(and(shl(8, w), 0xff0000), and(shl(24, w), 0xff000000)))
        }
    }
}
