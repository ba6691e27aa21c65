// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @title GasBurnerConsumer
/// @notice Gas benchmark dApp: its callback spends `burn` gas (measured inside the callee), so that the hub's
/// own delivery gas can be told apart from the callback's.
contract GasBurnerConsumer is IInferenceConsumer {
    /// @notice Gas each callback spends.
    uint256 public immutable burn;

    /// @param burn_ Gas each callback spends.
    constructor(uint256 burn_) {
        burn = burn_;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(bytes32, bytes calldata) external view {
        uint256 start = gasleft();
        while (start - gasleft() < burn) {}
    }
}
