// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {InferenceHub} from "../../contracts/InferenceHub.sol";
import {Request} from "../../contracts/OpgTypes.sol";
import {OpgHashes} from "../../contracts/libraries/OpgHashes.sol";
import {OpgTestBase, Vm} from "./OpgTestBase.sol";

interface ISettler {
    function settleSingleFor(bytes32 leaf) external returns (uint64);
}

/// Drives the hub with random requests, deliveries, refunds, withdrawals and time jumps, keeping ghost totals.
contract EscrowHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    InferenceHub internal immutable hub;
    ISettler internal immutable base;
    address internal immutable executor;

    bytes32[] public ids;
    mapping(bytes32 => Request) internal records;
    mapping(bytes32 => uint8) public status; // 1 pending, 2 delivered, 3 refunded
    mapping(bytes32 => uint256) public deliveries;

    uint256 public feesIn;
    uint256 public paid;
    uint256 public refunded;
    uint256 public withdrawn;

    constructor(InferenceHub hub_, ISettler base_, address executor_) {
        hub = hub_;
        base = base_;
        executor = executor_;
    }

    receive() external payable {}

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function feeOf(bytes32 id) external view returns (uint256) {
        return records[id].fee;
    }

    function request(uint96 extra, uint16 ttl) external {
        uint256 fee = 1e15 + (extra % 1e18);
        uint64 deadline = uint64(block.timestamp) + 1 + (ttl % 3_600);
        vm.deal(address(this), address(this).balance + fee);
        bytes memory input = abi.encodePacked(ids.length, block.timestamp);
        // The base contract's first listing of the model.
        bytes32 listingId = keccak256(abi.encode(keccak256("sol-test-model"), address(base), uint256(0)));
        bytes32 id = hub.requestInference{value: fee}(listingId, input, 0, address(0), 0, 0, deadline);
        records[id] = Request({
            requester: address(this),
            modelId: keccak256("sol-test-model"),
            listingId: listingId,
            inputHash: keccak256(input),
            mode: 0,
            callback: address(0),
            callbackGasLimit: 0,
            callbackGasPrice: 0,
            deadline: deadline,
            fee: uint96(fee)
        });
        ids.push(id);
        status[id] = 1;
        feesIn += fee;
    }

    function deliver(uint256 pick, bytes32 outputSeed) external {
        if (ids.length == 0) return;
        bytes32 id = ids[pick % ids.length];
        Request memory r = records[id];
        bytes memory output = abi.encodePacked(outputSeed);
        bytes32 leaf = OpgHashes.leaf(id, r.modelId, r.inputHash, keccak256(output), executor);
        uint64 batchId = base.settleSingleFor(leaf);
        try hub.deliver(id, r, output, executor, batchId, new bytes32[](0)) {
            require(status[id] == 1 && block.timestamp <= r.deadline, "delivered a non-pending request");
            status[id] = 2;
            deliveries[id] += 1;
            paid += r.fee;
        } catch {
            require(status[id] != 1 || block.timestamp > r.deadline, "pending request not delivered");
        }
    }

    function refund(uint256 pick) external {
        if (ids.length == 0) return;
        bytes32 id = ids[pick % ids.length];
        Request memory r = records[id];
        try hub.refund(id, r) {
            require(status[id] == 1 && block.timestamp > r.deadline + 1 hours, "refunded a non-refundable request");
            status[id] = 3;
            refunded += r.fee;
        } catch {
            require(status[id] != 1 || block.timestamp <= r.deadline + 1 hours, "expired request not refunded");
        }
    }

    function withdraw(bool executorSide) external {
        address account = executorSide ? executor : address(this);
        uint256 balance = hub.balanceOf(account);
        if (balance == 0 || executorSide) return; // the executor key is an EOA: its owner withdraws (TS tests)
        hub.withdraw(account, payable(address(0xD00D)));
        withdrawn += balance;
    }

    function warp(uint16 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 2_000));
    }
}

/// Invariants: fees in = paid + refunded + held; hub balance = held + credited balances; no double delivery.
contract EscrowInvariantTest is OpgTestBase {
    EscrowHandler internal handler;
    address[] internal targets;

    function setUp() public override {
        super.setUp();
        handler = new EscrowHandler(hub, ISettler(address(this)), executor);
        targets.push(address(handler));
    }

    /// Read by the invariant runner (forge-std's StdInvariant equivalent): fuzz only the handler.
    function targetContracts() public view returns (address[] memory) {
        return targets;
    }

    /// Called by the handler to settle a one-result batch signed by a quorum.
    function settleSingleFor(bytes32 leaf) external returns (uint64) {
        return _settleSingle(leaf);
    }

    /// fees in = paid + refunded + held, where held is recomputed from the hub's own request statuses.
    function invariant_feesConserved() public view {
        uint256 held;
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            if (hub.requestStatus(id) == 1) held += handler.feeOf(id);
        }
        _assertEq(handler.feesIn(), handler.paid() + handler.refunded() + held, "fees in != paid + refunded + held");
        // The hub holds exactly the escrow of pending requests plus the credited, unwithdrawn balances.
        _assertEq(
            address(hub).balance,
            held + hub.balanceOf(executor) + hub.balanceOf(_settler()) + hub.balanceOf(address(handler)),
            "hub balance"
        );
    }

    function invariant_hubBalanceCoversEverything() public view {
        uint256 credited = hub.balanceOf(executor) + hub.balanceOf(_settler()) + hub.balanceOf(address(handler));
        _assertEq(credited, handler.paid() + handler.refunded() - handler.withdrawn(), "credited");
        _assertEq(address(hub).balance, handler.feesIn() - handler.withdrawn(), "hub balance");
    }

    function invariant_noDoubleDelivery() public view {
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            require(handler.deliveries(id) <= 1, "delivered twice");
            require(hub.requestStatus(id) == handler.status(id), "status mismatch");
        }
    }
}
