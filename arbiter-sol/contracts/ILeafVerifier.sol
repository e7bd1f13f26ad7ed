// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title What a dissection game needs from the verifier of its leaves.
/// @notice A game bisects a trace of states down to one transition (a leaf) and asks
/// its leaf verifier to execute it. The game knows nothing of what a state is: for the
/// Wasm step machine a leaf is one instruction (WasmStep); a second level (graph nodes)
/// plugs in another verifier with the same interface.
interface ILeafVerifier {
    /// @notice The root after one transition from `preRoot`, proven by `proof`, and
    /// whether `preRoot` is a state a transition leaves from (false: the trace had
    /// already ended there, so a claim of a further step is false). Reverts when the
    /// proof is invalid.
    function verifyLeaf(bytes32 preRoot, bytes calldata proof)
        external
        view
        returns (bytes32 postRoot, bool preRunning);
}
