// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @title MockConsumer
/// @notice Test dApp: records deliveries, or misbehaves on purpose (revert, burn all gas, return a huge
/// payload, re-enter the hub).
contract MockConsumer is IInferenceConsumer {
    /// @notice Behaviours.
    enum Behaviour {
        Record,
        Revert,
        BurnGas,
        ReturnBomb,
        Reenter
    }

    /// @notice Hub allowed to call back.
    address public immutable hub;
    /// @notice Current behaviour.
    Behaviour public behaviour;
    /// @notice Last delivered request.
    bytes32 public lastRequestId;
    /// @notice Last delivered output.
    bytes public lastOutput;
    /// @notice Number of deliveries recorded.
    uint256 public calls;
    /// @notice Gas left when the callback started (to check the forwarded gas).
    uint256 public gasAtStart;
    /// @notice Whether the re-entrant call succeeded (should be false).
    bool public reentrySucceeded;
    bytes private _reentryCall;

    /// @param hub_ The hub.
    constructor(address hub_) {
        hub = hub_;
    }

    /// @notice Sets the behaviour.
    function setBehaviour(Behaviour b) external {
        behaviour = b;
    }

    /// @notice Calldata used to re-enter the hub in `Reenter` mode.
    function setReentryCall(bytes calldata data) external {
        _reentryCall = data;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(bytes32 requestId, bytes calldata output) external {
        uint256 g = gasleft();
        require(msg.sender == hub, "MockConsumer: not hub");
        Behaviour b = behaviour;
        if (b == Behaviour.Revert) revert("MockConsumer: revert");
        if (b == Behaviour.BurnGas) {
            while (true) {}
        }
        if (b == Behaviour.ReturnBomb) {
            assembly {
                return(0, 1000000)
            }
        }
        if (b == Behaviour.Reenter) {
            (bool ok,) = hub.call(_reentryCall);
            reentrySucceeded = ok;
        }
        gasAtStart = g;
        lastRequestId = requestId;
        lastOutput = output;
        calls += 1;
    }
}
