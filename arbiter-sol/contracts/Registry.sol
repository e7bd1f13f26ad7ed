// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {StateRoots} from "./StateRoots.sol";
import {DisputeGame, IGameOwner} from "./DisputeGame.sol";
import {ILeafVerifier} from "./ILeafVerifier.sol";
import {Regions} from "./Regions.sol";
import {TwoPhaseGame} from "./TwoPhaseGame.sol";

/// A contract that asks for inferences and is called back with their answers.
interface IOpmlConsumer {
    /// @notice Request `request` was answered with `output` (the answer's output bytes).
    function onAnswer(uint256 request, bytes calldata output) external;
}

/// @title Models, requests, bonded results and their challenges.
/// @notice A model is registered as its initial state with an all-zero input page
/// (docs/dispute-protocol.md). A request carries the input in calldata; the contract
/// derives the start root from it. Any number of submitters may post results for a
/// request, each with a bond; a result binds its output to its final root by a Merkle
/// proof. During a result's window (fixed when it is posted, never reopened) anyone may
/// challenge it with a bond, any number of times: every challenge is its own game
/// against the result's submitter, and one lost game rejects the result. A result
/// finalizes once its window is over and all its games are over; the first result of a
/// request to finalize is the request's answer. So a right result is final at most
/// `window + 2 * clock` after it is posted, whatever anyone else does, and a wrong one
/// never is while one honest challenger challenges it. A request may carry a fee, paid
/// to the submitter of its answer when the answer finalizes by the request's deadline
/// and refunded to the requester otherwise, and may name a consumer contract called
/// back with the answer (bounded gas; its failure is recorded, never blocking).
/// Credited ether is taken out with `withdraw`.
///
/// A graph model (`registerGraph`) is disputed in two phases by its own `TwoPhaseGame`:
/// its start root is the phase-1 state holding the input, a result claims the phase-1
/// state after all its nodes and proves its output against it, and a challenge starts a
/// two-phase dispute (docs/dispute-protocol.md, "Two phases").
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

    /// A registered graph model: the game that disputes it and the request shape its
    /// graph is for.
    struct GraphModel {
        TwoPhaseGame game;
        /// Nodes of the graph (the phase-1 game's length).
        uint64 nodes;
        /// The graph serves inputs of exactly this many bytes that start with `head`.
        uint32 inputLength;
        bytes head;
        /// Region heights of the input (phase-1 slot 0) and of the output (the last
        /// node's slot).
        uint8 inputHeight;
        uint8 outputHeight;
        /// From the game's registered graph.
        uint32 firstNodeSlot;
        uint8 stateHeight;
    }

    /// Where a request stands.
    enum Status {
        /// No result is pending (none posted yet, or all were rejected).
        Open,
        /// At least one result is pending.
        Pending,
        /// A result finalized: the request's answer.
        Finalized
    }

    /// Where a result stands.
    enum Verdict {
        /// In its window, or its games are not all over.
        Pending,
        /// A challenger won a game against it.
        Rejected,
        /// Its window and all its games are over, none lost.
        Final
    }

    /// A request.
    struct Request {
        uint256 model;
        bytes32 startRoot;
        Status status;
        uint32 pending;
        uint256 answer;
        uint256[] results;
        address requester;
        uint256 fee;
        uint64 deadline;
        address consumer;
        uint64 callbackGas;
    }

    /// A posted result.
    struct Result {
        uint256 request;
        address submitter;
        bytes32 finalRoot;
        uint64 steps;
        uint64 deadline;
        uint32 openGames;
        Verdict verdict;
        bytes output;
    }

    /// A challenge of a result: one game.
    struct Challenge {
        uint256 result;
        address challenger;
        uint256 game;
        bool settled;
        /// The contract playing its game (`game`, or a graph model's `TwoPhaseGame`).
        address arena;
    }

    /// Bounds of the parameters, checked by the constructor (docs/dispute-protocol.md).
    uint64 public constant MIN_DEGREE = 2;
    uint64 public constant MAX_DEGREE = 64;
    uint64 public constant MIN_WINDOW = 1;
    uint64 public constant MAX_WINDOW = 365 days;
    uint64 public constant MIN_CLOCK = 1;
    uint64 public constant MAX_CLOCK = 365 days;
    /// Most gas a consumer's callback may ask for.
    uint64 public constant MAX_CALLBACK_GAS = 2_000_000;
    /// Gas kept back for the registry's own work after a callback returns.
    uint64 public constant CALLBACK_RESERVE = 20_000;

    /// The dispute game contract, created by this registry (only it may start games).
    DisputeGame public immutable game;
    /// The bond of a result and of a challenge, in wei.
    uint256 public immutable bond;
    /// Seconds a result may be challenged after it is posted.
    uint64 public immutable window;
    /// Dissection degree of the games.
    uint64 public immutable degree;
    /// Each party's total time in a game, in seconds.
    uint64 public immutable clock;

    /// Number of models registered.
    uint256 public modelCount;
    /// Number of requests made.
    uint256 public requestCount;
    /// Number of results posted (over all requests).
    uint256 public resultCount;
    /// Number of challenges made (over all results).
    uint256 public challengeCount;
    /// Ether credited and not yet withdrawn.
    mapping(address => uint256) public credit;
    mapping(uint256 => Model) private models;
    mapping(uint256 => GraphModel) private graphs;
    mapping(uint256 => Request) private requests;
    mapping(uint256 => Result) private results;
    mapping(uint256 => Challenge) private challenges;
    /// Set while a consumer is being called back: every state-changing entry refuses
    /// re-entry then, so a consumer cannot change any request from its callback.
    bool private calling;

    /// A model was registered.
    event Registered(uint256 indexed model, bytes32 program);
    /// An input was posted. The bytes are in the log so that any re-executor can fetch
    /// them from a node by request id (the contract keeps only the start root).
    event Requested(uint256 indexed request, uint256 indexed model, bytes32 startRoot, bytes input);
    /// A result was posted.
    event Submitted(
        uint256 indexed request, uint256 indexed result, address submitter, bytes32 finalRoot, uint64 steps
    );
    /// A result was challenged.
    event Challenged(uint256 indexed request, uint256 indexed result, uint256 challenge, address challenger, uint256 game);
    /// A challenge's game ended (`counted`: it decided something; false when the result
    /// had already been rejected by another game and the bond went back).
    event Resolved(uint256 indexed request, uint256 indexed result, uint256 challenge, bool challengerWon, bool counted);
    /// A result was rejected.
    event Rejected(uint256 indexed request, uint256 indexed result);
    /// A result became final; `answer` says whether it is the request's answer (the
    /// first to finalize).
    event ResultFinal(uint256 indexed request, uint256 indexed result, bool answer);
    /// The request's answer.
    event Finalized(uint256 indexed request, bytes output);
    /// A request's fee went to `to` (the answer's submitter, or the requester back).
    event FeePaid(uint256 indexed request, address to, uint256 amount);
    /// The consumer of a request was called back; `ok` is false when it reverted or ran
    /// out of gas (the answer stands and stays readable with `outputOf`).
    event CalledBack(uint256 indexed request, address consumer, bool ok);

    /// The call does not fit the request's status.
    error WrongStatus(Status status);
    /// The call does not fit the result's verdict.
    error WrongVerdict(Verdict verdict);
    /// No such request, result or challenge.
    error Unknown();
    /// The attached ether is not the bond.
    error WrongBond();
    /// The result's challenge window is closed.
    error WindowClosed();
    /// The result's challenge window is still open.
    error WindowOpen();
    /// Games on the result are still being played.
    error GamesOpen(uint32 open);
    /// The final state's fields do not hash to the final root, or its status is bad.
    error BadFinalState();
    /// Only the game contract reports outcomes.
    error NotGame();
    /// No such model.
    error UnknownModel();
    /// The call is for the other kind of model (Wasm or graph).
    error WrongModelKind();
    /// A graph model's game does not report to this registry or plays other rules.
    error BadGraphGame();
    /// The input is not of the shape the graph model serves.
    error WrongInputShape();
    /// Sending ether failed.
    error TransferFailed();
    /// A deployment parameter is outside its bounds.
    error BadParameter(string name, uint256 value, uint256 min, uint256 max);
    /// A paid request's deadline leaves no time for an honest answer
    /// (`window + 2 * clock` from now at least).
    error DeadlineTooSoon(uint64 deadline, uint64 earliest);
    /// A callback asks for more than `MAX_CALLBACK_GAS`, or names gas without a consumer.
    error BadCallback();
    /// The transaction has too little gas left to give the consumer its callback gas.
    error CallbackGasTooLow(uint256 left, uint256 needed);
    /// Re-entry from a consumer's callback.
    error Reentered();
    /// Nothing to refund (no fee, already paid, answered, or before the deadline).
    error NoRefund();

    /// Refuses calls made from inside a consumer's callback.
    modifier notInCallback() {
        if (calling) revert Reentered();
        _;
    }

    constructor(ILeafVerifier verifier_, uint256 bond_, uint64 window_, uint64 degree_, uint64 clock_) {
        if (bond_ == 0) revert BadParameter("bond", bond_, 1, type(uint256).max);
        if (window_ < MIN_WINDOW || window_ > MAX_WINDOW) {
            revert BadParameter("window", window_, MIN_WINDOW, MAX_WINDOW);
        }
        if (degree_ < MIN_DEGREE || degree_ > MAX_DEGREE) {
            revert BadParameter("degree", degree_, MIN_DEGREE, MAX_DEGREE);
        }
        if (clock_ < MIN_CLOCK || clock_ > MAX_CLOCK) revert BadParameter("clock", clock_, MIN_CLOCK, MAX_CLOCK);
        game = new DisputeGame(verifier_);
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

    /// @notice Registers a graph model disputed by `g` (whose owner must be this registry,
    /// with this registry's degree and clock) for inputs of `inputLength` bytes starting
    /// with `head`: `nodes` nodes, the input and output tensors' region heights.
    function registerGraph(
        TwoPhaseGame g,
        uint64 nodes,
        uint32 inputLength,
        bytes calldata head,
        uint8 inputHeight,
        uint8 outputHeight
    ) external returns (uint256 id) {
        if (address(g.owner()) != address(this) || g.degree() != degree || g.clock() != clock || nodes == 0) {
            revert BadGraphGame();
        }
        (,,,, uint32 firstNodeSlot, uint8 stateHeight) = g.graph();
        if (uint256(firstNodeSlot) + nodes > uint256(1) << stateHeight || head.length > inputLength) {
            revert BadGraphGame();
        }
        id = modelCount++;
        graphs[id] = GraphModel(g, nodes, inputLength, head, inputHeight, outputHeight, firstNodeSlot, stateHeight);
        emit Registered(id, bytes32(uint256(uint160(address(g)))));
    }

    /// @notice The start root of `model` run on `input`.
    function startRoot(uint256 model, bytes calldata input) public view returns (bytes32) {
        if (model >= modelCount) revert UnknownModel();
        GraphModel storage gm = graphs[model];
        if (address(gm.game) != address(0)) {
            if (input.length != gm.inputLength || keccak256(input[:gm.head.length]) != keccak256(gm.head)) {
                revert WrongInputShape();
            }
            bytes32[] memory zeros = new bytes32[](gm.stateHeight);
            for (uint256 i = 1; i < zeros.length; i++) {
                zeros[i] = keccak256(abi.encodePacked(zeros[i - 1], zeros[i - 1]));
            }
            return Regions.fold(Regions.bytesRoot(input, gm.inputHeight), 0, zeros);
        }
        Model storage m = models[model];
        bytes32 memRoot = StateRoots.pagesRoot(StateRoots.pageRoot(input), m.inputPage, m.inputPath);
        return StateRoots.stateRoot(m.prefix, m.pages, m.limit, memRoot);
    }

    /// @notice Posts an input for `model` (no fee, no callback).
    function request(uint256 model, bytes calldata input) external notInCallback returns (uint256 id) {
        id = _open(model, input);
    }

    /// @notice Posts an input for `model` with the attached ether as its fee, paid to
    /// the submitter of its answer if the answer finalizes by `deadline` (refunded to the
    /// caller otherwise), and names `consumer` to be called back (`onAnswer`) with up to
    /// `callbackGas` gas when the answer finalizes (`consumer` 0: no callback).
    function requestWithFee(
        uint256 model,
        bytes calldata input,
        uint64 deadline,
        address consumer,
        uint64 callbackGas
    ) external payable notInCallback returns (uint256 id) {
        uint64 earliest = uint64(block.timestamp) + window + 2 * clock;
        if (deadline < earliest) revert DeadlineTooSoon(deadline, earliest);
        if (callbackGas > MAX_CALLBACK_GAS || (consumer == address(0) && callbackGas != 0)) {
            revert BadCallback();
        }
        id = _open(model, input);
        Request storage r = requests[id];
        r.requester = msg.sender;
        r.fee = msg.value;
        r.deadline = deadline;
        r.consumer = consumer;
        r.callbackGas = callbackGas;
    }

    /// Records a request of `model` on `input`.
    function _open(uint256 model, bytes calldata input) private returns (uint256 id) {
        bytes32 root = startRoot(model, input);
        id = requestCount++;
        Request storage r = requests[id];
        r.model = model;
        r.startRoot = root;
        emit Requested(id, model, root, input);
    }

    /// @notice Gives the requester its fee back when no answer finalized by the deadline.
    function refund(uint256 id) external notInCallback {
        Request storage r = requests[id];
        if (r.fee == 0 || r.status == Status.Finalized || block.timestamp <= r.deadline) revert NoRefund();
        _payFee(id, r, r.requester);
    }

    /// @notice Posts a result of request `id` with the bond; returns the result's id.
    /// `prefix`, `pages`, `limit` are the final state's fields, `outputPath` the output
    /// page's sibling path in its memory tree. The status must be halted or trapped;
    /// either way `output` is what the output page holds (a trapped run's is normally
    /// empty). Any number of results may be pending at once.
    function submit(
        uint256 id,
        bytes calldata output,
        uint64 steps,
        bytes calldata prefix,
        uint32 pages,
        uint32 limit,
        bytes32[16] calldata outputPath
    ) external payable notInCallback returns (uint256) {
        Request storage r = requests[id];
        if (r.startRoot == 0) revert Unknown();
        if (r.status == Status.Finalized) revert WrongStatus(r.status);
        if (msg.value != bond) revert WrongBond();
        if (address(graphs[r.model].game) != address(0)) revert WrongModelKind();
        if (steps == 0 || prefix.length < 2) revert BadFinalState();
        uint8 status = uint8(prefix[1]);
        if (status != STATUS_HALTED && status != STATUS_TRAPPED) revert BadFinalState();
        return _post(id, _finalRoot(r.model, output, prefix, pages, limit, outputPath), steps, output);
    }

    /// @notice Posts a result of request `id` of a graph model with the bond: `finalRoot`
    /// is the phase-1 state after all the graph's nodes, and `output` must be the last
    /// node's output there (`outputPath`: its slot's sibling path in that state).
    function submitGraph(uint256 id, bytes calldata output, bytes32 finalRoot, bytes32[] calldata outputPath)
        external
        payable
        notInCallback
        returns (uint256)
    {
        Request storage r = requests[id];
        if (r.startRoot == 0) revert Unknown();
        if (r.status == Status.Finalized) revert WrongStatus(r.status);
        if (msg.value != bond) revert WrongBond();
        GraphModel storage gm = graphs[r.model];
        if (address(gm.game) == address(0)) revert WrongModelKind();
        uint256 slot = uint256(gm.firstNodeSlot) + gm.nodes - 1;
        bytes32 leaf = Regions.bytesRoot(output, gm.outputHeight);
        if (outputPath.length != gm.stateHeight || Regions.fold(leaf, slot, outputPath) != finalRoot) {
            revert BadFinalState();
        }
        return _post(id, finalRoot, gm.nodes, output);
    }

    /// The root of a final state of `model` whose output page holds `output`.
    function _finalRoot(
        uint256 model,
        bytes calldata output,
        bytes calldata prefix,
        uint32 pages,
        uint32 limit,
        bytes32[16] calldata outputPath
    ) private view returns (bytes32) {
        Model storage m = models[model];
        bytes32 memRoot = StateRoots.pagesRoot(StateRoots.pageRoot(output), m.outputPage, outputPath);
        return StateRoots.stateRoot(prefix, pages, limit, memRoot);
    }

    /// Records a result of request `id` claiming `finalRoot` after `steps` steps.
    function _post(uint256 id, bytes32 finalRoot, uint64 steps, bytes calldata output)
        private
        returns (uint256 resultId)
    {
        resultId = resultCount++;
        Result storage res = results[resultId];
        res.request = id;
        res.submitter = msg.sender;
        res.finalRoot = finalRoot;
        res.steps = steps;
        res.deadline = uint64(block.timestamp) + window;
        res.output = output;
        Request storage r = requests[id];
        r.results.push(resultId);
        r.pending++;
        r.status = Status.Pending;
        emit Submitted(id, resultId, msg.sender, finalRoot, steps);
    }

    /// @notice Challenges result `resultId` with the bond, starting a game against its
    /// submitter; returns the challenge's id. Open to anyone, any number of times, until
    /// the result's window closes.
    function challenge(uint256 resultId) external payable notInCallback returns (uint256 challengeId) {
        if (resultId >= resultCount) revert Unknown();
        Result storage res = results[resultId];
        if (res.verdict != Verdict.Pending) revert WrongVerdict(res.verdict);
        if (block.timestamp >= res.deadline) revert WindowClosed();
        if (msg.value != bond) revert WrongBond();
        res.openGames++;
        challengeId = challengeCount++;
        bytes32 start = requests[res.request].startRoot;
        TwoPhaseGame g = graphs[requests[res.request].model].game;
        uint256 gameId;
        address arena;
        if (address(g) != address(0)) {
            gameId = g.create(challengeId, res.submitter, msg.sender, start, res.finalRoot, res.steps);
            arena = address(g);
        } else {
            gameId = game.create(challengeId, res.submitter, msg.sender, start, res.finalRoot, res.steps, degree, clock);
            arena = address(game);
        }
        challenges[challengeId] = Challenge(resultId, msg.sender, gameId, false, arena);
        emit Challenged(res.request, resultId, challengeId, msg.sender, gameId);
    }

    /// @inheritdoc IGameOwner
    /// @dev Never reverts for a known challenge: the game's last move must go through.
    function gameOver(uint256 challengeId, bool challengerWon) external notInCallback {
        Challenge storage c = challenges[challengeId];
        if (msg.sender != c.arena || challengeId >= challengeCount) revert NotGame();
        Result storage res = results[c.result];
        res.openGames--;
        if (c.settled) return; // its bond went back by `reclaim`
        c.settled = true;
        bool counted = res.verdict == Verdict.Pending;
        if (!counted) {
            // Another game rejected the result first: this challenger gets its bond back.
            credit[c.challenger] += bond;
        } else if (challengerWon) {
            credit[c.challenger] += 2 * bond;
            _reject(res, c.result);
        } else {
            credit[res.submitter] += bond;
        }
        emit Resolved(res.request, c.result, challengeId, challengerWon, counted);
    }

    /// @notice Gives a challenger its bond back without finishing its game, once the
    /// result it challenged has been rejected by another game.
    function reclaim(uint256 challengeId) external notInCallback {
        if (challengeId >= challengeCount) revert Unknown();
        Challenge storage c = challenges[challengeId];
        Result storage res = results[c.result];
        if (res.verdict != Verdict.Rejected) revert WrongVerdict(res.verdict);
        if (c.settled) revert Unknown();
        c.settled = true;
        credit[c.challenger] += bond;
        emit Resolved(res.request, c.result, challengeId, false, false);
    }

    /// @notice Makes result `resultId` final once its window and all its games are over,
    /// and returns its bond. The first result of a request to finalize is its answer.
    function finalize(uint256 resultId) external notInCallback {
        if (resultId >= resultCount) revert Unknown();
        Result storage res = results[resultId];
        if (res.verdict != Verdict.Pending) revert WrongVerdict(res.verdict);
        if (block.timestamp < res.deadline) revert WindowOpen();
        if (res.openGames != 0) revert GamesOpen(res.openGames);
        res.verdict = Verdict.Final;
        credit[res.submitter] += bond;
        Request storage r = requests[res.request];
        r.pending--;
        bool answer = r.status != Status.Finalized;
        emit ResultFinal(res.request, resultId, answer);
        if (answer) {
            r.status = Status.Finalized;
            r.answer = resultId;
            emit Finalized(res.request, res.output);
            if (r.fee != 0) _payFee(res.request, r, block.timestamp <= r.deadline ? res.submitter : r.requester);
            if (r.consumer != address(0)) _callBack(res.request, r.consumer, r.callbackGas, res.output);
        }
    }

    /// Credits request `id`'s fee to `to`.
    function _payFee(uint256 id, Request storage r, address to) private {
        uint256 fee = r.fee;
        r.fee = 0;
        credit[to] += fee;
        emit FeePaid(id, to, fee);
    }

    /// Calls `consumer.onAnswer(id, output)` with `gasLimit` gas, copying no return data
    /// (a consumer cannot make the registry pay for a huge return), with re-entry
    /// refused. Its failure is recorded, never propagated.
    function _callBack(uint256 id, address consumer, uint64 gasLimit, bytes memory output) private {
        bytes memory data = abi.encodeCall(IOpmlConsumer.onAnswer, (id, output));
        // EIP-150 forwards at most 63/64 of what is left: make sure the consumer gets
        // all of its gas, so a finalizer cannot make the callback fail by starving it.
        uint256 needed = uint256(gasLimit) + gasLimit / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert CallbackGasTooLow(gasleft(), needed);
        calling = true;
        bool ok;
        assembly ("memory-safe") {
            ok := call(gasLimit, consumer, 0, add(data, 32), mload(data), 0, 0)
        }
        calling = false;
        emit CalledBack(id, consumer, ok);
    }

    /// @notice Sends the caller its credited ether.
    function withdraw() external notInCallback {
        uint256 amount = credit[msg.sender];
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice A request: its status, start root, the ids of its results (oldest first)
    /// and, once finalized, the result that answered it.
    function info(uint256 id)
        external
        view
        returns (Status status, bytes32 start, uint256[] memory resultIds, uint256 answer)
    {
        Request storage r = requests[id];
        return (r.status, r.startRoot, r.results, r.answer);
    }

    /// @notice A result (output excluded).
    function resultInfo(uint256 resultId)
        external
        view
        returns (
            uint256 requestId,
            address submitter,
            bytes32 finalRoot,
            uint64 steps,
            uint64 deadline,
            uint32 openGames,
            Verdict verdict
        )
    {
        Result storage res = results[resultId];
        return (res.request, res.submitter, res.finalRoot, res.steps, res.deadline, res.openGames, res.verdict);
    }

    /// @notice A challenge: the result, the challenger, the game, and whether its bond is
    /// settled.
    function challengeInfo(uint256 challengeId)
        external
        view
        returns (uint256 resultId, address challenger, uint256 gameId, bool settled)
    {
        Challenge storage c = challenges[challengeId];
        return (c.result, c.challenger, c.game, c.settled);
    }

    /// @notice A request's fee terms: who asked, the fee still held, the deadline, the
    /// consumer and its callback gas.
    function terms(uint256 id)
        external
        view
        returns (address requester, uint256 fee, uint64 deadline, address consumer, uint64 callbackGas)
    {
        Request storage r = requests[id];
        return (r.requester, r.fee, r.deadline, r.consumer, r.callbackGas);
    }

    /// @notice The output a result claims.
    function resultOutput(uint256 resultId) external view returns (bytes memory) {
        return results[resultId].output;
    }

    /// @notice The answer of request `id` (empty until it is finalized).
    function outputOf(uint256 id) external view returns (bytes memory) {
        Request storage r = requests[id];
        if (r.status != Status.Finalized) return "";
        return results[r.answer].output;
    }

    function _reject(Result storage res, uint256 resultId) private {
        res.verdict = Verdict.Rejected;
        Request storage r = requests[res.request];
        r.pending--;
        if (r.pending == 0 && r.status == Status.Pending) r.status = Status.Open;
        emit Rejected(res.request, resultId);
    }
}
