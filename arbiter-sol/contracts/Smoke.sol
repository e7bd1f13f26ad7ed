// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title Smoke
/// @notice A minimal contract that exercises the Solidity toolchain end to end: solc-js
///         compiles it (arbiter-sol/compile.mjs) and the Rust tests run it in revm.
contract Smoke {
    /// @notice Sum of every amount added so far.
    uint256 public total;

    /// @notice Emitted by every `add`.
    /// @param caller The account that called `add`.
    /// @param amount The amount it added.
    /// @param newTotal The total after the addition.
    event Added(address indexed caller, uint256 amount, uint256 newTotal);

    /// @notice Adds `amount` to the total (reverts on overflow).
    /// @return newTotal The total after the addition.
    function add(uint256 amount) external returns (uint256 newTotal) {
        newTotal = total + amount;
        total = newTotal;
        emit Added(msg.sender, amount, newTotal);
    }
}
