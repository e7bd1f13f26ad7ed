// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Dissection} from "./Dissection.sol";
import {ILeafVerifier} from "./ILeafVerifier.sol";

/// Told the outcome of a game it created.
interface IGameOwner {
    /// Game `gameId` (created with reference `ref`) is over.
    function gameOver(uint256 ref, bool challengerWon) external;
}

/// @title n-way dissection game over the transitions of one trace.
/// @notice The defender claims the roots after steps `lo` and `hi`; the challenger agrees
/// with the first and not the second. Each round the defender posts the roots at the
/// points that cut `[lo, hi]` into up to `degree` equal segments, then the challenger
/// picks a segment whose start it agrees with and whose end it does not. At one step the
/// challenger proves the step: it wins if the verifier's post-root differs from the
/// defender's, or if the pre-state is no longer running (the defender claimed a step
/// past the end). Each party has a chess clock; whoever is to move when its time runs
/// out loses (`timeout`). Only the contract that deployed it (the registry) may start
/// games, and it is told every outcome.
///
/// A game without a verifier has leaves that are themselves games (the graph-node
/// phase of a two-phase dispute): at one step the owner takes the leaf on the
/// challenger's move (`holdLeaf`) and later settles it (`settleLeaf`).
contract DisputeGame {
    /// Who must move.
    enum Turn {
        Defender,
        Challenger,
        Over,
        /// At a leaf held by the owner, which will settle it.
        Held
    }

    /// One game.
    struct Game {
        uint256 ref;
        address defender;
        address challenger;
        uint64 lo;
        uint64 hi;
        bytes32 loRoot;
        bytes32 hiRoot;
        uint64 degree;
        Turn turn;
        bool challengerWon;
        uint64 lastMove;
        uint64 defenderClock;
        uint64 challengerClock;
        bytes32 rootsHash;
    }

    /// The verifier of one transition (for the Wasm step machine: WasmStep); none for a
    /// game whose leaves the owner settles.
    ILeafVerifier public immutable verifier;
    /// The only contract that may start games, told their outcomes (its deployer).
    IGameOwner public immutable owner;
    /// Number of games created.
    uint256 public gameCount;
    mapping(uint256 => Game) private games;

    /// A game began.
    event Started(uint256 indexed gameId, uint256 ref, uint64 steps);
    /// The defender posted the roots at the inner `points` (only their hash is stored:
    /// the challenger reads them from this event and hands them back to `pick`).
    event Dissected(uint256 indexed gameId, uint64[] points, bytes32[] roots);
    /// The challenger picked the segment `[lo, hi]`.
    event Picked(uint256 indexed gameId, uint64 lo, uint64 hi);
    /// The game ended.
    event Over(uint256 indexed gameId, bool challengerWon, string reason);

    /// The caller may not make this move now.
    error NotYourTurn();
    /// The game is over.
    error GameOver();
    /// The mover's clock has run out.
    error OutOfTime();
    /// The party to move still has time.
    error NotTimedOut();
    /// Wrong number of roots, bad segment index, or the segment is not yet one step.
    error BadMove();
    /// Only the owner (the registry) starts games.
    error NotOwner();
    /// This game's leaves are settled by a verifier, not by its owner, or the reverse.
    error WrongLeafMode();

    constructor(ILeafVerifier verifier_) {
        verifier = verifier_;
        owner = IGameOwner(msg.sender);
    }

    /// @notice Owner only: starts a game over `[0, steps]`; the owner is told the outcome
    /// with `ref`.
    function create(
        uint256 ref,
        address defender,
        address challenger,
        bytes32 startRoot,
        bytes32 endRoot,
        uint64 steps,
        uint64 degree,
        uint64 clock
    ) external returns (uint256 gameId) {
        if (msg.sender != address(owner)) revert NotOwner();
        if (steps == 0 || degree < 2) revert BadMove();
        gameId = gameCount++;
        Game storage g = games[gameId];
        g.ref = ref;
        g.defender = defender;
        g.challenger = challenger;
        g.hi = steps;
        g.loRoot = startRoot;
        g.hiRoot = endRoot;
        g.degree = degree;
        g.turn = steps == 1 ? Turn.Challenger : Turn.Defender;
        g.lastMove = uint64(block.timestamp);
        g.defenderClock = clock;
        g.challengerClock = clock;
        emit Started(gameId, ref, steps);
    }

    /// @notice The points that cut `[lo, hi]` now: `lo`, the inner points, `hi`.
    function points(uint256 gameId) public view returns (uint64[] memory p) {
        Game storage g = games[gameId];
        return Dissection.points(g.lo, g.hi, g.degree);
    }

    /// @notice The public state of a game (the roots of the current round are in its
    /// latest `Dissected` event).
    function info(uint256 gameId)
        external
        view
        returns (
            address defender,
            address challenger,
            uint64 lo,
            uint64 hi,
            bytes32 loRoot,
            bytes32 hiRoot,
            Turn turn,
            bool challengerWon,
            uint64 defenderClock,
            uint64 challengerClock,
            uint64 lastMove
        )
    {
        Game storage g = games[gameId];
        return (
            g.defender,
            g.challenger,
            g.lo,
            g.hi,
            g.loRoot,
            g.hiRoot,
            g.turn,
            g.challengerWon,
            g.defenderClock,
            g.challengerClock,
            g.lastMove
        );
    }

    /// @notice Defender: the roots at the inner points of `points(gameId)`.
    function dissect(uint256 gameId, bytes32[] calldata inner) external {
        Game storage g = _move(gameId, Turn.Defender);
        uint64[] memory p = points(gameId);
        if (inner.length != p.length - 2) revert BadMove();
        g.rootsHash = keccak256(abi.encodePacked(inner));
        g.turn = Turn.Challenger;
        emit Dissected(gameId, p, inner);
    }

    /// @notice Challenger: the segment `index` (between points `index` and `index + 1`),
    /// whose start it agrees with and whose end it disputes; `inner` are the roots the
    /// defender posted this round (from its `Dissected` event).
    function pick(uint256 gameId, uint256 index, bytes32[] calldata inner) external {
        Game storage g = _move(gameId, Turn.Challenger);
        if (g.hi - g.lo == 1) revert BadMove();
        if (keccak256(abi.encodePacked(inner)) != g.rootsHash) revert BadMove();
        uint64[] memory p = points(gameId);
        if (index + 1 >= p.length) revert BadMove();
        if (index > 0) g.loRoot = inner[index - 1];
        if (index + 2 < p.length) g.hiRoot = inner[index];
        g.lo = p[index];
        g.hi = p[index + 1];
        g.turn = g.hi - g.lo == 1 ? Turn.Challenger : Turn.Defender;
        emit Picked(gameId, g.lo, g.hi);
    }

    /// @notice Challenger, at one step: the one-step proof from the agreed pre-state.
    function prove(uint256 gameId, bytes calldata proof) external {
        Game storage g = _move(gameId, Turn.Challenger);
        if (g.hi - g.lo != 1) revert BadMove();
        if (address(verifier) == address(0)) revert WrongLeafMode();
        (bytes32 post, bool preRunning) = verifier.verifyLeaf(g.loRoot, proof);
        if (!preRunning) {
            _end(g, gameId, true, "step past the end of the execution");
        } else if (post != g.hiRoot) {
            _end(g, gameId, true, "one-step post-root differs from the defender's");
        } else {
            _end(g, gameId, false, "one-step post-root equals the defender's");
        }
    }

    /// @notice Anyone: ends the game when the party to move has run out of time.
    function timeout(uint256 gameId) external {
        Game storage g = games[gameId];
        if (g.turn == Turn.Over) revert GameOver();
        if (g.turn == Turn.Held) revert NotYourTurn();
        uint64 clock = g.turn == Turn.Defender ? g.defenderClock : g.challengerClock;
        if (block.timestamp - g.lastMove <= clock) revert NotTimedOut();
        bool defenderLate = g.turn == Turn.Defender;
        _end(g, gameId, defenderLate, defenderLate ? "defender timed out" : "challenger timed out");
    }

    /// @notice Owner only, in a game without a verifier: `mover` (who must be the
    /// challenger, in time, at one step) hands the leaf to the owner; returns the
    /// agreed index and roots of the leaf. The game then waits for `settleLeaf`.
    function holdLeaf(uint256 gameId, address mover)
        external
        returns (uint64 lo, bytes32 loRoot, bytes32 hiRoot)
    {
        if (msg.sender != address(owner)) revert NotOwner();
        if (address(verifier) != address(0)) revert WrongLeafMode();
        Game storage g = _moveAs(gameId, Turn.Challenger, mover);
        if (g.hi - g.lo != 1) revert BadMove();
        g.turn = Turn.Held;
        return (g.lo, g.loRoot, g.hiRoot);
    }

    /// @notice Owner only: settles a held leaf (and so the game).
    function settleLeaf(uint256 gameId, bool challengerWon, string calldata reason) external {
        if (msg.sender != address(owner)) revert NotOwner();
        Game storage g = games[gameId];
        if (g.turn != Turn.Held) revert BadMove();
        _end(g, gameId, challengerWon, reason);
    }

    /// Checks turn, sender and clock, and charges the elapsed time to the mover.
    function _move(uint256 gameId, Turn turn) private returns (Game storage g) {
        return _moveAs(gameId, turn, msg.sender);
    }

    /// As `_move`, for a move made by `sender`.
    function _moveAs(uint256 gameId, Turn turn, address sender) private returns (Game storage g) {
        g = games[gameId];
        if (g.turn == Turn.Over) revert GameOver();
        address mover = turn == Turn.Defender ? g.defender : g.challenger;
        if (g.turn != turn || sender != mover) revert NotYourTurn();
        uint64 elapsed = uint64(block.timestamp) - g.lastMove;
        if (turn == Turn.Defender) {
            if (elapsed > g.defenderClock) revert OutOfTime();
            g.defenderClock -= elapsed;
        } else {
            if (elapsed > g.challengerClock) revert OutOfTime();
            g.challengerClock -= elapsed;
        }
        g.lastMove = uint64(block.timestamp);
    }

    function _end(Game storage g, uint256 gameId, bool challengerWon, string memory reason) private {
        g.turn = Turn.Over;
        g.challengerWon = challengerWon;
        emit Over(gameId, challengerWon, reason);
        owner.gameOver(g.ref, challengerWon);
    }
}
