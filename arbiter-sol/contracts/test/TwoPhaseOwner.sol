// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IGameOwner} from "../DisputeGame.sol";
import {ILeafVerifier} from "../ILeafVerifier.sol";
import {TwoPhaseGame} from "../TwoPhaseGame.sol";

/// Owns a TwoPhaseGame for tests: creates its disputes and records their outcomes (the
/// role the registry plays for a graph model).
contract TwoPhaseOwner is IGameOwner {
    TwoPhaseGame public immutable game;
    /// Outcome by reference: 0 none yet, 1 defender won, 2 challenger won.
    mapping(uint256 => uint8) public outcome;

    constructor(
        ILeafVerifier stepVerifier,
        TwoPhaseGame.Program memory program,
        TwoPhaseGame.Graph memory graph,
        uint64 degree,
        uint64 clock
    ) {
        game = new TwoPhaseGame(stepVerifier, program, graph, degree, clock);
    }

    function create(uint256 ref, address defender, address challenger, bytes32 startRoot, bytes32 endRoot, uint64 nodes)
        external
        returns (uint256)
    {
        return game.create(ref, defender, challenger, startRoot, endRoot, nodes);
    }

    function gameOver(uint256 ref, bool challengerWon) external {
        require(msg.sender == address(game), "not my game");
        outcome[ref] = challengerWon ? 2 : 1;
    }
}
