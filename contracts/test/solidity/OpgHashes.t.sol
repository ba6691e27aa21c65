// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {BatchHeader} from "../../contracts/OpgTypes.sol";
import {OpgHashes} from "../../contracts/libraries/OpgHashes.sol";
import {OpgTestBase} from "./OpgTestBase.sol";

/// The hashes match docs/protocol.md written out with abi.encode; Merkle inclusion follows the OZ shape.
contract OpgHashesTest is OpgTestBase {
    function test_typeHashes() public pure {
        require(
            OpgHashes.INFERENCE_REQUEST_TYPEHASH
                == keccak256(
                    "InferenceRequest(address requester,bytes32 modelId,bytes32 inputHash,uint8 mode,uint256 nonce,uint64 deadline)"
                ),
            "InferenceRequest"
        );
        require(
            OpgHashes.EXECUTION_RESULT_TYPEHASH
                == keccak256("ExecutionResult(bytes32 requestId,bytes32 modelId,bytes32 inputHash,bytes32 outputHash,uint8 mode)"),
            "ExecutionResult"
        );
        require(
            OpgHashes.BATCH_ROOT_TYPEHASH == keccak256("BatchRoot(bytes32 configDigest,uint64 batchId,bytes32 root,uint32 count)"),
            "BatchRoot"
        );
    }

    function testFuzz_leafIsDoubleHashedAbiEncoding(
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor_
    ) public view {
        bytes32 rh = keccak256(abi.encode(requestId, modelId, inputHash, outputHash, executor_));
        require(OpgHashes.resultHash(requestId, modelId, inputHash, outputHash, executor_) == rh, "resultHash");
        require(hub.resultHash(requestId, modelId, inputHash, outputHash, executor_) == rh, "hub.resultHash");
        require(hub.resultLeaf(requestId, modelId, inputHash, outputHash, executor_) == keccak256(bytes.concat(rh)), "leaf");
    }

    function testFuzz_twoLeafInclusion(bytes32 a, bytes32 b, bytes32 outA, bytes32 outB) public {
        vm.assume(a != b);
        bytes32 la = OpgHashes.leaf(a, MODEL_ID, a, outA, executor);
        bytes32 lb = OpgHashes.leaf(b, MODEL_ID, b, outB, executor);
        bytes32 root = la < lb ? keccak256(abi.encode(la, lb)) : keccak256(abi.encode(lb, la));
        uint64 batchId = nextBatchId++;
        BatchHeader memory h = BatchHeader({configDigest: registry.configDigest(), batchId: batchId, root: root, count: 2});
        hub.settleBatch(h, _signBatch(h, 0xE));
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = lb;
        require(MerkleProof.verify(proof, root, la), "oz");
        require(hub.verifyResult(batchId, a, MODEL_ID, a, outA, executor, proof), "verifyResult a");
        require(!hub.verifyResult(batchId, a, MODEL_ID, a, outB, executor, proof) || outA == outB, "forged output");
        proof[0] = la;
        require(hub.verifyResult(batchId, b, MODEL_ID, b, outB, executor, proof), "verifyResult b");
    }
}
