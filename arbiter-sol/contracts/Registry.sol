// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {StateRoots} from "./StateRoots.sol";
import {DisputeGame, IGameOwner} from "./DisputeGame.sol";

/// @title Models, requests, bonded results and their challenges.
/// @notice A model is registered as its initial state with an all-zero input page
/// (docs/dispute-protocol.md). A request carries the input in calldata; the contract
/// derives the start root from it. A submitter posts the output, final root and step
/// count with a bond; the output is bound to the final root by a Merkle proof. Within
/// the window anyone may challenge with an equal bond, which starts a DisputeGame; the
/// winner of a game is credited both bonds. An unchallenged result finalizes after the
/// window. Credited ether is taken out with `withdraw`.
contract Registry is IGameOwner {
    /// A registered model.
    struct Model {
        bytes prefix;
        uint32 pages;
        uint32 limit;
        uint32 inputPage;
        uint32 outputPage;
        bytes32[16] inputPath;
    }

    /// Where a request's result stands.
    enum Status {
        Open,
        Pending,
        Challenged,
        Finalized
    }

    /// A request and its current result.
    struct Request {
        uint256 model;
        bytes32 startRoot;
        Status status;
        address submitter;
        bytes32 finalRoot;
        uint64 steps;
        uint64 deadline;
        address challenger;
        uint256 game;
        bytes output;
    }

    /// The dispute game contract.
    DisputeGame public immutable game;
    /// The bond of a result and of a challenge, in wei.
    uint256 public immutable bond;
    /// Seconds a result may be challenged after it is posted (or after a lost challenge).
    uint64 public immutable window;
    /// Dissection degree of the games.
    uint64 public immutable degree;
    /// Each party's total time in a game, in seconds.
    uint64 public immutable clock;

    /// Number of models registered.
    uint256 public modelCount;
    /// Number of requests made.
    uint256 public requestCount;
    /// Ether credited and not yet withdrawn.
    mapping(address => uint256) public credit;
    mapping(uint256 => Model) private models;
    mapping(uint256 => Request) private requests;

    /// A model was registered.
    event Registered(uint256 indexed model, bytes32 program);
    /// An input was posted. The bytes are in the log so that any re-executor can fetch
    /// them from a node by request id (the contract keeps only the start root).
    event Requested(uint256 indexed request, uint256 indexed model, bytes32 startRoot, bytes input);
    /// A result was posted.
    event Submitted(uint256 indexed request, address submitter, bytes32 finalRoot, uint64 steps);
    /// A result was challenged.
    event Challenged(uint256 indexed request, address challenger, uint256 game);
    /// A game ended.
    event Resolved(uint256 indexed request, bool challengerWon);
    /// A result became final.
    event Finalized(uint256 indexed request, bytes output);

    /// The call does not fit the request's status.
    error WrongStatus(Status status);
    /// The attached ether is not the bond.
    error WrongBond();
    /// The challenge window is closed.
    error WindowClosed();
    /// The challenge window is still open.
    error WindowOpen();
    /// The final state's fields do not hash to the final root, or its status is bad.
    error BadFinalState();
    /// Only the game contract reports outcomes.
    error NotGame();
    /// No such model.
    error UnknownModel();
    /// Sending ether failed.
    error TransferFailed();

    constructor(DisputeGame game_, uint256 bond_, uint64 window_, uint64 degree_, uint64 clock_) {
        game = game_;
        bond = bond_;
        window = window_;
        degree = degree_;
        clock = clock_;
    }

    /// @notice Registers a model by its initial state with an all-zero input page: the
    /// 183-byte state prefix, the memory's pages and limit, the input page's sibling path
    /// (16 hashes, bottom first) and the output page.
    function register(
        bytes calldata prefix,
        uint32 pages,
        uint32 limit,
        uint32 inputPage,
        uint32 outputPage,
        bytes32[16] calldata inputPath
    ) external returns (uint256 id) {
        StateRoots.stateRoot(prefix, pages, limit, 0); // checks the prefix
        id = modelCount++;
        models[id] = Model(prefix, pages, limit, inputPage, outputPage, inputPath);
        bytes32 program;
        assembly ("memory-safe") {
            program := calldataload(add(prefix.offset, 23))
        }
        emit Registered(id, program);
    }

    /// @notice The start root of `model` run on `input`.
    function startRoot(uint256 model, bytes calldata input) public view returns (bytes32) {
        if (model >= modelCount) revert UnknownModel();
        Model storage m = models[model];
        bytes32 memRoot = StateRoots.pagesRoot(StateRoots.pageRoot(input), m.inputPage, m.inputPath);
        return StateRoots.stateRoot(m.prefix, m.pages, m.limit, memRoot);
    }

    /// @notice Posts an input for `model`.
    function request(uint256 model, bytes calldata input) external returns (uint256 id) {
        bytes32 root = startRoot(model, input);
        id = requestCount++;
        Request storage r = requests[id];
        r.model = model;
        r.startRoot = root;
        emit Requested(id, model, root, input);
    }

    /// @notice Posts a result with the bond. `prefix`, `pages`, `limit` are the final
    /// state's fields, `outputPath` the output page's sibling path in its memory tree. The
    /// status must be halted or trapped; either way `output` is what the output page
    /// holds (a trapped run's is normally empty).
    function submit(
        uint256 id,
        bytes calldata output,
        uint64 steps,
        bytes calldata prefix,
        uint32 pages,
        uint32 limit,
        bytes32[16] calldata outputPath
    ) external payable {
        Request storage r = requests[id];
        if (r.startRoot == 0 || r.status != Status.Open) revert WrongStatus(r.status);
        if (msg.value != bond) revert WrongBond();
        if (steps == 0 || prefix.length < 2) revert BadFinalState();
        uint8 status = uint8(prefix[1]);
        if (status != STATUS_HALTED && status != STATUS_TRAPPED) {
            revert BadFinalState();
        }
        Model storage m = models[r.model];
        bytes32 memRoot = StateRoots.pagesRoot(StateRoots.pageRoot(output), m.outputPage, outputPath);
        r.finalRoot = StateRoots.stateRoot(prefix, pages, limit, memRoot);
        r.status = Status.Pending;
        r.submitter = msg.sender;
        r.steps = steps;
        r.output = output;
        r.deadline = uint64(block.timestamp) + window;
        emit Submitted(id, msg.sender, r.finalRoot, steps);
    }

    /// @notice Challenges the pending result of request `id` with the bond.
    function challenge(uint256 id) external payable returns (uint256 gameId) {
        Request storage r = requests[id];
        if (r.status != Status.Pending) revert WrongStatus(r.status);
        if (block.timestamp >= r.deadline) revert WindowClosed();
        if (msg.value != bond) revert WrongBond();
        r.status = Status.Challenged;
        r.challenger = msg.sender;
        gameId = game.create(id, r.submitter, msg.sender, r.startRoot, r.finalRoot, r.steps, degree, clock);
        r.game = gameId;
        emit Challenged(id, msg.sender, gameId);
    }

    /// @inheritdoc IGameOwner
    function gameOver(uint256 id, bool challengerWon) external {
        if (msg.sender != address(game)) revert NotGame();
        Request storage r = requests[id];
        if (r.status != Status.Challenged) revert WrongStatus(r.status);
        if (challengerWon) {
            credit[r.challenger] += 2 * bond;
            r.status = Status.Open; // the request awaits a new result
            delete r.submitter;
            delete r.output;
        } else {
            credit[r.submitter] += bond;
            r.status = Status.Pending;
            r.deadline = uint64(block.timestamp) + window;
        }
        emit Resolved(id, challengerWon);
    }

    /// @notice Makes an unchallenged result final after its window and returns its bond.
    function finalize(uint256 id) external {
        Request storage r = requests[id];
        if (r.status != Status.Pending) revert WrongStatus(r.status);
        if (block.timestamp < r.deadline) revert WindowOpen();
        r.status = Status.Finalized;
        credit[r.submitter] += bond;
        emit Finalized(id, r.output);
    }

    /// @notice Sends the caller its credited ether.
    function withdraw() external {
        uint256 amount = credit[msg.sender];
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice A request's state (output excluded).
    function info(uint256 id)
        external
        view
        returns (
            Status status,
            bytes32 start,
            address submitter,
            bytes32 finalRoot,
            uint64 steps,
            uint64 deadline,
            address challenger,
            uint256 gameId
        )
    {
        Request storage r = requests[id];
        return (r.status, r.startRoot, r.submitter, r.finalRoot, r.steps, r.deadline, r.challenger, r.game);
    }

    /// @notice The output of a request's current result.
    function outputOf(uint256 id) external view returns (bytes memory) {
        return requests[id].output;
    }
}
