// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {InferenceHub} from "../../contracts/InferenceHub.sol";
import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {OperatorRegistry} from "../../contracts/OperatorRegistry.sol";
import {BatchHeader, Request} from "../../contracts/OpgTypes.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {IOperatorRegistry} from "../../contracts/interfaces/IOperatorRegistry.sol";

/// Foundry-compatible cheatcodes implemented by Hardhat's Solidity test runner (no forge-std needed).
interface Vm {
    function prank(address sender) external;
    function deal(address account, uint256 balance) external;
    function warp(uint256 timestamp) external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
}

/// Shared set-up: registries and hub, a 3-of-4 verifier set (f = 2), one executor key, one model (NONE).
abstract contract OpgTestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant PRICE = 1e15;
    bytes32 internal constant MODEL_ID = keccak256("sol-test-model");
    uint256 internal constant EXECUTOR_PK = 0xE1;

    OperatorRegistry internal registry;
    ModelRegistry internal models;
    InferenceHub internal hub;
    uint256[4] internal verifierPks = [uint256(0xA1), 0xA2, 0xA3, 0xA4];
    address internal executor;
    uint64 internal nextBatchId = 1;
    /// The test contract's listing of MODEL_ID.
    bytes32 internal listingId;

    function setUp() public virtual {
        registry = new OperatorRegistry(
            address(this),
            IOperatorRegistry.Params({
                minExecutorStake: 1 ether,
                minVerifierStake: 1 ether,
                challengeWindow: 1 hours,
                unbondingDelay: 2 hours,
                treasury: address(0x7EA5),
                challengerShareBps: 1_000
            })
        );
        models = new ModelRegistry(registry);
        hub = new InferenceHub(registry, models);
        registry.setHub(address(hub));

        address[] memory signers = new address[](4);
        for (uint256 i; i < 4; ++i) {
            signers[i] = _register(address(uint160(0x0B00 + i)), verifierPks[i], 2);
        }
        registry.setVerifierConfig(signers, 2);
        executor = _register(address(uint160(0x0E00)), EXECUTOR_PK, 1);

        listingId = models.createListing(
            IModelRegistry.ListingRegistration({
                modelId: MODEL_ID,
                metadataURI: "ipfs://sol",
                modes: 1,
                price: PRICE,
                weightsCommitment: bytes32(0),
                zkVerifier: address(0),
                vkHash: bytes32(0),
                measurements: new bytes32[](0)
            })
        );
    }

    function _register(address owner, uint256 pk, uint8 role) internal returns (address signer) {
        signer = vm.addr(pk);
        bytes memory pop = _sign(pk, registry.signerBindingDigest(owner, signer, role));
        vm.deal(owner, 10 ether);
        vm.prank(owner);
        registry.register{value: 1 ether}(role, signer, pop);
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// Signs `header` with the verifiers selected by the low 4 bits of `mask`.
    function _signBatch(BatchHeader memory header, uint256 mask) internal view returns (bytes[] memory sigs) {
        bytes32 digest = hub.batchRootDigest(header);
        uint256 n;
        for (uint256 i; i < 4; ++i) if (mask & (1 << i) != 0) ++n;
        sigs = new bytes[](n);
        uint256 k;
        for (uint256 i; i < 4; ++i) {
            if (mask & (1 << i) != 0) sigs[k++] = _sign(verifierPks[i], digest);
        }
    }

    /// The verifier credited for batches this contract settles (it is no signer: the first signer is).
    function _settler() internal view returns (address) {
        return vm.addr(verifierPks[0]);
    }

    /// Settles a one-result batch (root = leaf, empty proof) with 3 signatures; returns its id.
    function _settleSingle(bytes32 leaf) internal returns (uint64 batchId) {
        batchId = nextBatchId++;
        BatchHeader memory h =
            BatchHeader({configDigest: registry.configDigest(), batchId: batchId, root: leaf, count: 1});
        hub.settleBatch(h, _signBatch(h, 0x7));
    }

    /// Makes a request from `requester` and returns its id and record.
    function _request(address requester, uint256 fee, uint64 ttl, bytes memory input)
        internal
        returns (bytes32 requestId, Request memory r)
    {
        vm.deal(requester, requester.balance + fee);
        vm.prank(requester);
        requestId = hub.requestInference{value: fee}(
            listingId, input, 0, address(0), 0, 0, uint64(block.timestamp) + ttl
        );
        r = Request({
            requester: requester,
            modelId: MODEL_ID,
            listingId: listingId,
            inputHash: keccak256(input),
            mode: 0,
            callback: address(0),
            callbackGasLimit: 0,
            callbackGasPrice: 0,
            deadline: uint64(block.timestamp) + ttl,
            fee: uint96(fee)
        });
    }

    function _assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": values differ"));
    }
}
