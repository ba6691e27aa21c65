// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BatchHeader, Request} from "../../contracts/OpgTypes.sol";
import {IInferenceHub} from "../../contracts/interfaces/IInferenceHub.sol";
import {OpgHashes} from "../../contracts/libraries/OpgHashes.sol";
import {OpgTestBase} from "./OpgTestBase.sol";

contract InferenceHubFuzzTest is OpgTestBase {
    /// No settlement without quorum: any subset of the 4 verifiers settles iff it has >= f + 1 = 3 members.
    function testFuzz_settlesOnlyWithQuorum(uint8 mask, bytes32 root) public {
        vm.assume(root != bytes32(0));
        uint256 m = mask & 0xF;
        uint256 members;
        for (uint256 i; i < 4; ++i) if (m & (1 << i) != 0) ++members;
        uint64 batchId = nextBatchId++;
        BatchHeader memory h = BatchHeader({configDigest: registry.configDigest(), batchId: batchId, root: root, count: 1});
        bytes[] memory sigs = _signBatch(h, m);
        bool ok;
        try hub.settleBatch(h, sigs) {
            ok = true;
        } catch {}
        require(ok == (members >= 3), "quorum");
        require((hub.batchRoot(batchId) == root) == ok, "root stored iff settled");
    }

    /// Signatures for one batch id / root / count / digest do not settle another.
    function testFuzz_noReplay(uint64 delta, bytes32 root, uint32 count, uint8 which) public {
        vm.assume(root != bytes32(0) && count != 0 && delta != 0 && delta < type(uint64).max / 2);
        uint64 batchId = nextBatchId++;
        BatchHeader memory h = BatchHeader({configDigest: registry.configDigest(), batchId: batchId, root: root, count: count});
        bytes[] memory sigs = _signBatch(h, 0x7);
        BatchHeader memory other =
            BatchHeader({configDigest: h.configDigest, batchId: h.batchId, root: h.root, count: h.count});
        uint8 w = which % 4;
        if (w == 0) other.batchId = batchId + (delta % (uint64(1) << 40 - 1) + 1); // another sequence number
        else if (w == 1) other.root = keccak256(abi.encode(root));
        else if (w == 2) other.count = count == type(uint32).max ? count - 1 : count + 1;
        else other.configDigest = keccak256(abi.encode(h.configDigest));
        bool ok;
        try hub.settleBatch(other, sigs) {
            ok = true;
        } catch {}
        require(!ok, "replayed");
        hub.settleBatch(h, sigs);
        // And never twice.
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.BatchIdNotNext.selector, batchId, batchId));
        hub.settleBatch(h, sigs);
    }

    /// Sequence numbers are consecutive: any id whose low 40 bits are not last + 1 is refused; rounds are free.
    function testFuzz_nextSequenceOnly(uint64 batchId, bytes32 root) public {
        vm.assume(root != bytes32(0));
        BatchHeader memory h = BatchHeader({configDigest: registry.configDigest(), batchId: batchId, root: root, count: 1});
        bool ok;
        try hub.settleBatch(h, _signBatch(h, 0x7)) {
            ok = true;
        } catch {}
        require(ok == (uint40(batchId) == 1), "only sequence number 1 settles first");
    }

    /// A settled result is delivered exactly once; the executor and the settling verifier share exactly the fee.
    function testFuzz_deliverOnce(bytes calldata output, uint64 extra, address caller) public {
        vm.assume(caller != address(0) && caller.code.length == 0 && caller != address(vm));
        (bytes32 id, Request memory r) = _request(address(0xBEEF), PRICE + extra, 1 hours, hex"0102");
        bytes32 leaf = OpgHashes.leaf(id, r.modelId, r.inputHash, keccak256(output), executor);
        uint64 batchId = _settleSingle(leaf);
        vm.prank(caller);
        hub.deliver(id, r, output, executor, batchId, new bytes32[](0));
        uint256 fee = PRICE + uint256(extra);
        uint256 share = (fee * hub.verifierFeeBps()) / 10_000;
        _assertEq(hub.balanceOf(executor), fee - share, "executor credit");
        _assertEq(hub.balanceOf(_settler()), share, "settler credit");
        _assertEq(hub.requestStatus(id), 2, "status");
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.AlreadyDelivered.selector, id));
        hub.deliver(id, r, output, executor, batchId, new bytes32[](0));
    }
}
