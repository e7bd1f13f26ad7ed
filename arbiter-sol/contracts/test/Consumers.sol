// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IOpmlConsumer, Registry} from "../Registry.sol";

/// Test consumers of the registry's callbacks (tests/tests/fees.rs): each misbehaves
/// in one way a real consumer might, to show the registry is not hurt by it.

/// Stores what it is told.
contract RecordingConsumer is IOpmlConsumer {
    /// The last request answered.
    uint256 public lastRequest;
    /// Its output.
    bytes public lastOutput;
    /// Number of callbacks.
    uint256 public calls;

    function onAnswer(uint256 request, bytes calldata output) external {
        lastRequest = request;
        lastOutput = output;
        calls++;
    }
}

/// Always reverts.
contract RevertingConsumer is IOpmlConsumer {
    function onAnswer(uint256, bytes calldata) external pure {
        revert("no");
    }
}

/// Burns all the gas it is given.
contract GasBurningConsumer is IOpmlConsumer {
    function onAnswer(uint256, bytes calldata) external pure {
        while (true) {}
    }
}

/// Returns 1 MiB of garbage.
contract ReturnBombConsumer is IOpmlConsumer {
    function onAnswer(uint256, bytes calldata) external pure {
        assembly {
            return(0, 1048576)
        }
    }
}

/// Tries to change another request from its callback: finalize a result, withdraw.
contract ReenteringConsumer is IOpmlConsumer {
    /// The result it tries to finalize when called back.
    uint256 public target;
    /// Whether the re-entry went through.
    bool public reentered;

    function aim(uint256 resultId) external {
        target = resultId;
    }

    function onAnswer(uint256, bytes calldata) external {
        Registry registry = Registry(msg.sender);
        try registry.finalize(target) {
            reentered = true;
        } catch {}
        try registry.withdraw() {
            reentered = true;
        } catch {}
    }
}

/// Finalizes with a gas limit of its choosing, to try to starve the callback.
contract Starver {
    function finalizeWith(Registry registry, uint256 resultId, uint256 gasLimit) external {
        registry.finalize{gas: gasLimit}(resultId);
    }
}
