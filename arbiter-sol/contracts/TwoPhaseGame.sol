// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {DisputeGame, IGameOwner} from "./DisputeGame.sol";
import {ILeafVerifier} from "./ILeafVerifier.sol";
import {Regions} from "./Regions.sol";
import {StateRoots} from "./StateRoots.sol";
import "./generated/WasmConstants.sol";

/// @title Two-phase dispute over one graph model: graph nodes, then the Wasm steps of one
/// node, bound end to end (docs/dispute-protocol.md, "Two phases").
/// @notice Phase 1 is a dissection over node indices whose states are phase-1 roots: a
/// fixed-height Merkle tree of the roots of every tensor computed so far, slot
/// `firstNodeSlot + k` holding node k's output. At one node k the challenger opens
/// phase 2 (`openNode`): the start root of node k's Wasm run is derived here from the
/// node program's registered start state, node k's descriptor (proven against the
/// model), its input roots (proven against the agreed state k) and its weight roots
/// (proven against the model). The defender closes (`closeNode`): it shows that state
/// k+1 is state k with exactly node k's output slot filled, and names a halted final VM
/// state whose output region holds exactly that output root, and the step count. The
/// Wasm-step dissection between the two VM roots (a second `DisputeGame`, with the
/// one-step verifier) decides node k, and so phase 1. No move of either phase escapes a
/// check against an agreed root or the registered model.
///
/// A node descriptor (big-endian u32 words) is `op, inputs, weights, outAddr,
/// outHeight`, then `slot, addr, height` per input, then `weight, addr, height` per
/// weight, then the op's parameters; it is placed in the node's memory at the
/// registered descriptor region, where the node program reads it.
contract TwoPhaseGame is IGameOwner {
    /// The node program's registered start state and where things sit in its memory.
    struct Program {
        /// The STATE_PREFIX_LEN-byte prefix of its start state (running, at its entry).
        bytes prefix;
        /// Pages and page limit of its memory.
        uint32 pages;
        uint32 limit;
        /// Its own initial memory (data, stack), one aligned region.
        Regions.Part base;
        /// Where a node's descriptor is placed.
        uint32 descHeight;
        uint64 descIndex;
    }

    /// The registered graph: its node descriptors and weight tensors.
    struct Graph {
        /// Tree over the descriptors' region roots, node order.
        bytes32 descriptors;
        uint8 descriptorsHeight;
        /// Tree over the weight tensors' region roots.
        bytes32 weights;
        uint8 weightsHeight;
        /// Phase-1 slot of node 0's output (the graph inputs fill the slots before it).
        uint32 firstNodeSlot;
        /// Height of the phase-1 state tree.
        uint8 stateHeight;
    }

    /// A node opened for phase 2.
    struct OpenNode {
        uint64 node;
        bytes32 startRoot;
        bytes32 loRoot;
        bytes32 hiRoot;
        uint32 outHeight;
        uint64 outIndex;
        uint64 deadline;
        bool closed;
    }

    /// One dispute: its phase-1 game and who is told its outcome.
    struct Dispute {
        uint256 ref;
        bool exists;
    }

    /// Phase 1: over node indices; its leaves are settled here.
    DisputeGame public immutable phase1;
    /// Phase 2: over the Wasm steps of one node, with the one-step verifier.
    DisputeGame public immutable phase2;
    /// Told the outcome of every dispute (the deployer).
    IGameOwner public immutable owner;
    /// Dissection degree and each party's clock (seconds), for both phases.
    uint64 public immutable degree;
    uint64 public immutable clock;

    Program private program;
    Graph public graph;
    mapping(uint256 => Dispute) private disputes;
    mapping(uint256 => OpenNode) private opened;
    /// Phase-2 game id → phase-1 game id.
    mapping(uint256 => uint256) private phase1Of;

    /// Node `node` of phase-1 game `gameId` went to phase 2 from `startRoot`.
    event NodeOpened(uint256 indexed gameId, uint64 node, bytes32 startRoot);
    /// The defender closed the node: phase-2 game `nodeGame` over `steps` Wasm steps.
    event NodeClosed(uint256 indexed gameId, uint256 nodeGame, bytes32 endRoot, uint64 steps);

    /// Only the owner creates disputes.
    error NotOwner();
    /// Only a game of this contract reports outcomes.
    error NotGame();
    /// A Merkle proof does not lead to the root it must.
    error BadProof(string what);
    /// The descriptor is shorter than its header and entries say.
    error BadDescriptor();
    /// The node is not open, already closed, or past or before its deadline.
    error BadClose();
    /// Only the dispute's defender closes its node.
    error NotDefender();

    constructor(ILeafVerifier stepVerifier, Program memory program_, Graph memory graph_, uint64 degree_, uint64 clock_)
    {
        if (program_.prefix.length != STATE_PREFIX_LEN) revert StateRoots.BadPrefix();
        phase1 = new DisputeGame(ILeafVerifier(address(0)));
        phase2 = new DisputeGame(stepVerifier);
        owner = IGameOwner(msg.sender);
        degree = degree_;
        clock = clock_;
        program.prefix = program_.prefix;
        program.pages = program_.pages;
        program.limit = program_.limit;
        program.base = program_.base;
        program.descHeight = program_.descHeight;
        program.descIndex = program_.descIndex;
        graph = graph_;
    }

    /// @notice Owner only: a dispute over nodes `[0, nodes]` between phase-1 states
    /// `startRoot` (agreed) and `endRoot` (the defender's).
    function create(uint256 ref, address defender, address challenger, bytes32 startRoot, bytes32 endRoot, uint64 nodes)
        external
        returns (uint256 gameId)
    {
        if (msg.sender != address(owner)) revert NotOwner();
        // The phase-1 game reports to this contract with its own id as reference.
        gameId = phase1.create(phase1.gameCount(), defender, challenger, startRoot, endRoot, nodes, degree, clock);
        disputes[gameId] = Dispute(ref, true);
    }

    /// What the challenger hands in to open a node: its descriptor and the roots of its
    /// inputs and weights, each with its Merkle path (descriptor: in the model's
    /// descriptor tree; inputs: in the agreed phase-1 state; weights: in the model's
    /// weight tree), in the descriptor's order.
    struct Opening {
        bytes descriptor;
        bytes32[] descriptorPath;
        bytes32[] inputRoots;
        bytes32[][] inputPaths;
        bytes32[] weightRoots;
        bytes32[][] weightPaths;
    }

    /// What the defender hands in to close a node: node k's output root, its sibling
    /// path in the phase-1 state tree (slot `firstNodeSlot + k`), and the final VM state
    /// (prefix, memory pages and limit, the output region's path to the memory root)
    /// after `steps` Wasm steps.
    struct Closing {
        bytes32 outRoot;
        bytes32[] slotPath;
        bytes endPrefix;
        uint32 pages;
        uint32 limit;
        bytes32[] outPath;
        uint64 steps;
    }

    /// @notice Challenger, at one node of phase-1 game `gameId`: opens phase 2; the
    /// node's Wasm start root is derived here from the registered program, the proven
    /// descriptor and the proven input and weight roots.
    function openNode(uint256 gameId, Opening calldata o) external {
        (uint64 node, bytes32 loRoot, bytes32 hiRoot) = phase1.holdLeaf(gameId, msg.sender);
        bytes32 startRoot = _startRoot(node, loRoot, o);
        Regions.Part memory out = _part(_word(o.descriptor, 3), _word(o.descriptor, 4), 0);
        opened[gameId] = OpenNode(
            node, startRoot, loRoot, hiRoot, out.height, out.index, uint64(block.timestamp) + clock, false
        );
        emit NodeOpened(gameId, node, startRoot);
    }

    /// @notice Defender, after `openNode`: node k's output root fills the empty slot
    /// `firstNodeSlot + k` of the agreed state k to give exactly the claimed state k+1,
    /// and a halted final VM state holds it in the node's output region after `steps`
    /// Wasm steps. Starts the phase-2 game between the derived start root and that
    /// final root.
    function closeNode(uint256 gameId, Closing calldata c) external {
        OpenNode storage n = opened[gameId];
        if (n.deadline == 0 || n.closed || block.timestamp > n.deadline) revert BadClose();
        (address defender, address challenger,,,,,,,,,) = phase1.info(gameId);
        if (msg.sender != defender) revert NotDefender();
        uint256 slot = uint256(graph.firstNodeSlot) + n.node;
        _prove(bytes32(0), slot, c.slotPath, graph.stateHeight, n.loRoot, "empty output slot in state k");
        _prove(c.outRoot, slot, c.slotPath, graph.stateHeight, n.hiRoot, "output slot in state k+1");
        if (c.endPrefix.length != STATE_PREFIX_LEN || uint8(c.endPrefix[1]) != STATUS_HALTED) {
            revert BadProof("final VM state not halted");
        }
        bytes32 memRoot = Regions.memoryRoot(Regions.Part(n.outHeight, n.outIndex, c.outRoot), c.outPath);
        bytes32 endRoot = StateRoots.stateRoot(c.endPrefix, c.pages, c.limit, memRoot);
        n.closed = true;
        uint256 nodeGame = phase2.create(gameId, defender, challenger, n.startRoot, endRoot, c.steps, degree, clock);
        phase1Of[nodeGame] = gameId;
        emit NodeClosed(gameId, nodeGame, endRoot, c.steps);
    }

    /// The Wasm start root of node `node`: program base, descriptor, inputs and weights
    /// composed into its memory, each proven.
    function _startRoot(uint64 node, bytes32 loRoot, Opening calldata o) private view returns (bytes32) {
        Regions.Part memory desc =
            Regions.Part(program.descHeight, program.descIndex, Regions.bytesRoot(o.descriptor, program.descHeight));
        _prove(desc.root, node, o.descriptorPath, graph.descriptorsHeight, graph.descriptors, "descriptor");
        uint256 nIn = _word(o.descriptor, 1);
        uint256 nW = _word(o.descriptor, 2);
        if (o.inputRoots.length != nIn || o.inputPaths.length != nIn) revert BadDescriptor();
        if (o.weightRoots.length != nW || o.weightPaths.length != nW) revert BadDescriptor();
        Regions.Part[] memory parts = new Regions.Part[](2 + nIn + nW);
        parts[0] = program.base;
        parts[1] = desc;
        for (uint256 i = 0; i < nIn + nW; i++) {
            uint256 w = 5 + 3 * i;
            bytes32 root;
            if (i < nIn) {
                root = o.inputRoots[i];
                _prove(root, _word(o.descriptor, w), o.inputPaths[i], graph.stateHeight, loRoot, "input");
            } else {
                root = o.weightRoots[i - nIn];
                _prove(
                    root, _word(o.descriptor, w), o.weightPaths[i - nIn], graph.weightsHeight, graph.weights, "weight"
                );
            }
            parts[2 + i] = _part(_word(o.descriptor, w + 1), _word(o.descriptor, w + 2), root);
        }
        _sortByAddress(parts);
        return StateRoots.stateRoot(program.prefix, program.pages, program.limit, Regions.compose(parts));
    }

    /// @notice Anyone: the defender did not close an open node in time, so it loses.
    function closeTimeout(uint256 gameId) external {
        OpenNode storage n = opened[gameId];
        if (n.deadline == 0 || n.closed || block.timestamp <= n.deadline) revert BadClose();
        n.closed = true;
        phase1.settleLeaf(gameId, true, "defender did not close the node");
    }

    /// @notice The node opened in phase-1 game `gameId` (zeros before `openNode`).
    function openedNode(uint256 gameId) external view returns (OpenNode memory) {
        return opened[gameId];
    }

    /// @notice Told by the phase games: a node's game settles its phase-1 leaf; a
    /// phase-1 game's outcome goes to the owner.
    function gameOver(uint256 ref, bool challengerWon) external {
        if (msg.sender == address(phase2)) {
            phase1.settleLeaf(
                ref, challengerWon, challengerWon ? "node's Wasm run refutes the defender" : "node's Wasm run upholds the defender"
            );
        } else if (msg.sender == address(phase1)) {
            owner.gameOver(disputes[ref].ref, challengerWon);
        } else {
            revert NotGame();
        }
    }

    /// @notice The phase-1 game a node game (phase 2) decides.
    function phase1Game(uint256 nodeGame) external view returns (uint256) {
        return phase1Of[nodeGame];
    }

    /// Big-endian u32 word `i` of a descriptor.
    function _word(bytes calldata d, uint256 i) private pure returns (uint256) {
        if (d.length < 4 * (i + 1)) revert BadDescriptor();
        return uint32(bytes4(d[4 * i:4 * i + 4]));
    }

    /// The region at byte address `addr` of height `height`, holding `root`.
    function _part(uint256 addr, uint256 height, bytes32 root) private pure returns (Regions.Part memory) {
        if (height > MEMORY_TREE_HEIGHT) revert Regions.Height(height);
        uint256 len = LEAF_SIZE << height;
        if (addr % len != 0) revert BadDescriptor();
        return Regions.Part(uint32(height), uint64(addr / len), root);
    }

    /// Reverts unless `leaf` sits at `index` of the tree of `height` with root `root`.
    function _prove(
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata path,
        uint256 height,
        bytes32 root,
        string memory what
    ) private pure {
        if (path.length != height || index >> height != 0 || Regions.fold(leaf, index, path) != root) {
            revert BadProof(what);
        }
    }

    /// Insertion sort by start address (a node has a handful of regions).
    function _sortByAddress(Regions.Part[] memory parts) private pure {
        for (uint256 i = 1; i < parts.length; i++) {
            Regions.Part memory p = parts[i];
            uint256 j = i;
            while (j > 0 && Regions.addr(parts[j - 1]) > Regions.addr(p)) {
                parts[j] = parts[j - 1];
                j--;
            }
            parts[j] = p;
        }
    }
}
