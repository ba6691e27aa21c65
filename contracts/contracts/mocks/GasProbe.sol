// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IInferenceHub} from "../interfaces/IInferenceHub.sol";

/// @title GasProbe
/// @notice Benchmark harness: measures the gas of the `verifyResult` view as seen by a calling contract
/// (external call into the hub included, 21000 intrinsic gas and calldata excluded).
contract GasProbe {
    /// @notice Gas used by one `hub.verifyResult` call, and its result.
    function measureVerifyResult(
        IInferenceHub hub,
        uint64 batchId,
        bytes32 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes32[] calldata proof
    ) external view returns (uint256 gasUsed, bool ok) {
        uint256 before = gasleft();
        ok = hub.verifyResult(batchId, requestId, modelId, inputHash, outputHash, executor, proof);
        gasUsed = before - gasleft();
    }
}
