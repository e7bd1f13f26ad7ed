// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IOpmlConsumer} from "../Registry.sol";

/// A stand-in for the Registry that calls a consumer back whenever it is told to, with
/// any request id and any output: what a consumer must survive if its registry were
/// not the real one, or to show that the checks it makes hold on their own
/// (tests/tests/question_box.rs).
contract FakeRegistry {
    /// Requests taken so far.
    uint256 public requestCount;

    /// Takes a request like `Registry.requestWithFee`, keeping the fee.
    function requestWithFee(uint256, bytes calldata, uint64, address, uint64) external payable returns (uint256 id) {
        id = requestCount++;
    }

    /// The gas a callback used.
    event CallbackGas(uint256 used);

    /// Calls `consumer.onAnswer(request, output)`, bubbling its revert, and emits the
    /// gas it used.
    function callBack(IOpmlConsumer consumer, uint256 request, bytes calldata output) external {
        uint256 before = gasleft();
        consumer.onAnswer(request, output);
        emit CallbackGas(before - gasleft());
    }
}
