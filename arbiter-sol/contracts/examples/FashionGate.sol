// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IOpmlConsumer, Registry} from "../Registry.sol";

/// @title Example dApp: a gate that admits only pictures of one kind of garment.
/// @notice Anyone submits a 28×28 grey image; the gate asks the registered
/// Fashion-MNIST classifier about it through the Registry, paying the fee, and acts on
/// the predicted class only once the answer is final (after its challenge window and
/// any dispute), in its `onAnswer` callback. The guest's output starts with the
/// predicted class as a little-endian u32 (docs/guest-abi.md).
contract FashionGate is IOpmlConsumer {
    /// The registry it asks.
    Registry public immutable registry;
    /// The registered classifier.
    uint256 public immutable model;
    /// The class it admits (Fashion-MNIST: 0 T-shirt … 7 sneaker … 9 ankle boot).
    uint32 public immutable admitted;
    /// Gas it asks for its callback.
    uint64 public constant CALLBACK_GAS = 100_000;

    /// Who asked about each request.
    mapping(uint256 => address) public askedBy;
    /// The class of each answered request, plus one (0: not answered yet).
    mapping(uint256 => uint32) public classPlusOne;
    /// Accounts admitted so far.
    mapping(address => bool) public isAdmitted;

    /// A request was answered.
    event Classified(uint256 indexed request, address asker, uint32 class, bool admitted);

    /// Only the registry calls back.
    error NotRegistry();
    /// The answer is not a classifier output.
    error BadOutput();

    constructor(Registry registry_, uint256 model_, uint32 admitted_) {
        registry = registry_;
        model = model_;
        admitted = admitted_;
    }

    /// @notice Asks about `image` (784 bytes), with the attached ether as the fee and an
    /// answer wanted by `deadline`.
    function ask(bytes calldata image, uint64 deadline) external payable returns (uint256 id) {
        id = registry.requestWithFee{value: msg.value}(model, image, deadline, address(this), CALLBACK_GAS);
        askedBy[id] = msg.sender;
    }

    /// @inheritdoc IOpmlConsumer
    function onAnswer(uint256 request, bytes calldata output) external {
        if (msg.sender != address(registry)) revert NotRegistry();
        if (output.length < 4) revert BadOutput();
        uint32 class = uint32(uint8(output[0])) | (uint32(uint8(output[1])) << 8)
            | (uint32(uint8(output[2])) << 16) | (uint32(uint8(output[3])) << 24);
        classPlusOne[request] = class + 1;
        bool ok = class == admitted;
        address asker = askedBy[request];
        if (ok) isAdmitted[asker] = true;
        emit Classified(request, asker, class, ok);
    }
}
