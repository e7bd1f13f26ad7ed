// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IOpmlConsumer, Registry} from "../Registry.sol";

/// @title Example dApp: ask the registered language model a question.
/// @notice Anyone asks with the guest's request bytes (docs/guest-abi.md, "LLM images":
/// `[u32 n_new][u32 id] × n`, little-endian: the prompt's token ids and how many ids to
/// generate) and, for display, the question's text; the box forwards the request to the
/// Registry with the attached ether as the fee and stores the answer (the generated
/// ids, `4 · n_new` bytes little-endian) when the Registry calls it back, after the
/// answer's challenge window and every dispute over it.
/// @dev Tokenizing happens off chain (a BPE tokenizer of ~50 k merges has no place in
/// a contract), so the box cannot check that `text` tokenizes to the request's ids:
/// the ids are what the model answers, the text is the asker's word for them. A reader
/// who cares re-tokenizes `text` with the model's tokenizer and compares
/// (docs/integrating.md).
contract QuestionBox is IOpmlConsumer {
    /// Where a question stands.
    enum Status {
        /// Not asked through this box.
        None,
        /// Asked, not answered yet.
        Asked,
        /// Answered: `answer` holds the generated ids.
        Answered,
        /// The final output is not `4 · n_new` bytes: the guest rejected the request
        /// (e.g. a prompt past the model's context), so there is no answer.
        Failed
    }

    /// A question and its answer.
    struct Question {
        address asker;
        Status status;
        uint32 newTokens;
        uint64 deadline;
        /// Answered after the deadline: the registry gave the fee back to the box.
        bool late;
        /// The fee, until it is given back to the asker.
        uint256 fee;
        string text;
        bytes request;
        bytes answer;
    }

    /// The registry it asks.
    Registry public immutable registry;
    /// The registered language model.
    uint256 public immutable model;
    /// Most ids one question may ask for (its callback's gas grows with them).
    uint32 public constant MAX_NEW_TOKENS = 256;
    /// Callback gas for the fixed work (checks, status, event).
    uint64 public constant CALLBACK_BASE_GAS = 60_000;
    /// Callback gas per 32 bytes of answer stored (a fresh storage word and its share
    /// of the calldata, copy and event).
    uint64 public constant CALLBACK_GAS_PER_WORD = 25_000;

    mapping(uint256 => Question) private questions;

    /// `asker` asked `text` as registry request `request` (the guest's request bytes).
    event Asked(uint256 indexed request, address indexed asker, string text, bytes input);
    /// Request `request` was answered: `answer` is the generated ids.
    event Answered(uint256 indexed request, address indexed asker, bytes answer);
    /// Request `request`'s final output was not an answer (`length` bytes).
    event Unanswerable(uint256 indexed request, uint256 length);

    /// Only the registry calls back.
    error NotRegistry();
    /// The registry called back about a request this box did not make, or twice.
    error NotAsked(uint256 request);
    /// Nothing to give back: the fee was earned by a submitter, is given back already,
    /// or the deadline is not over.
    error NoRefund();
    /// Sending the asker its fee failed.
    error TransferFailed();
    /// The request bytes are not `[u32 n_new][u32 id] × n` with `n ≥ 1` and
    /// `1 ≤ n_new ≤ MAX_NEW_TOKENS`.
    error BadRequest();

    constructor(Registry registry_, uint256 model_) {
        registry = registry_;
        model = model_;
    }

    /// @notice The callback gas a question generating `newTokens` ids asks for.
    function callbackGas(uint32 newTokens) public pure returns (uint64) {
        return CALLBACK_BASE_GAS + CALLBACK_GAS_PER_WORD * ((uint64(newTokens) * 4 + 31) / 32);
    }

    /// @notice Asks the model: `input` is the guest's request bytes (the prompt's ids,
    /// tokenized off chain with the model's tokenizer, and the number of ids to
    /// generate), `text` the question as the asker wrote it (stored for display, not
    /// checked against `input`). The attached ether is the fee, paid to the submitter
    /// of an answer final by `deadline` (given back to the asker otherwise: `reclaim`).
    function ask(string calldata text, bytes calldata input, uint64 deadline)
        external
        payable
        returns (uint256 id)
    {
        uint32 newTokens = _newTokens(input);
        id = registry.requestWithFee{value: msg.value}(model, input, deadline, address(this), callbackGas(newTokens));
        Question storage q = questions[id];
        q.asker = msg.sender;
        q.status = Status.Asked;
        q.newTokens = newTokens;
        q.deadline = deadline;
        q.fee = msg.value;
        q.text = text;
        q.request = input;
        emit Asked(id, msg.sender, text, input);
    }

    /// @inheritdoc IOpmlConsumer
    function onAnswer(uint256 request, bytes calldata output) external {
        if (msg.sender != address(registry)) revert NotRegistry();
        Question storage q = questions[request];
        if (q.status != Status.Asked) revert NotAsked(request);
        // The registry pays the fee back to the requester, this box, for a late answer.
        q.late = block.timestamp > q.deadline;
        if (output.length != uint256(q.newTokens) * 4) {
            q.status = Status.Failed;
            emit Unanswerable(request, output.length);
            return;
        }
        q.status = Status.Answered;
        q.answer = output;
        emit Answered(request, q.asker, output);
    }

    /// @notice Gives the asker of question `request` its fee back when no answer was
    /// final by the deadline (asking the registry for the refund first if it still
    /// holds the fee). Anyone may call it; the fee goes to the asker, once.
    function reclaim(uint256 request) external {
        Question storage q = questions[request];
        uint256 fee = q.fee;
        if (fee == 0) revert NoRefund();
        if (q.status == Status.Asked) {
            // Unanswered: past the deadline the registry refunds the fee to this box
            // (if someone else asked it to, it did already: an answer final in time
            // would have called `onAnswer`, which does not fail for a question asked).
            if (block.timestamp <= q.deadline) revert NoRefund();
            (, uint256 held,,,) = registry.terms(request);
            if (held != 0) registry.refund(request);
        } else if (!q.late) {
            revert NoRefund();
        }
        q.fee = 0;
        if (registry.credit(address(this)) != 0) registry.withdraw();
        (bool ok,) = q.asker.call{value: fee}("");
        if (!ok) revert TransferFailed();
    }

    /// Takes the refunds the registry sends (`withdraw`).
    receive() external payable {
        if (msg.sender != address(registry)) revert NotRegistry();
    }

    /// @notice Question `request`: who asked, where it stands, the text, the request
    /// bytes and (once answered) the answer's bytes.
    function question(uint256 request)
        external
        view
        returns (address asker, Status status, string memory text, bytes memory input, bytes memory answer)
    {
        Question storage q = questions[request];
        return (q.asker, q.status, q.text, q.request, q.answer);
    }

    /// @notice The generated ids of question `request` (empty until answered).
    function answerIds(uint256 request) external view returns (uint32[] memory ids) {
        bytes storage a = questions[request].answer;
        ids = new uint32[](a.length / 4);
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 o = 4 * i;
            ids[i] = uint32(uint8(a[o])) | (uint32(uint8(a[o + 1])) << 8) | (uint32(uint8(a[o + 2])) << 16)
                | (uint32(uint8(a[o + 3])) << 24);
        }
    }

    /// `n_new` of well-formed request bytes.
    function _newTokens(bytes calldata input) private pure returns (uint32 n) {
        if (input.length < 8 || input.length % 4 != 0) revert BadRequest();
        n = uint32(uint8(input[0])) | (uint32(uint8(input[1])) << 8) | (uint32(uint8(input[2])) << 16)
            | (uint32(uint8(input[3])) << 24);
        if (n == 0 || n > MAX_NEW_TOKENS) revert BadRequest();
    }
}
