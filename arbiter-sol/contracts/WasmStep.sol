// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {WasmNumeric} from "./WasmNumeric.sol";
import {ProofReader, Proof} from "./ProofReader.sol";
import {StepOps} from "./StepOps.sol";
import {ILeafVerifier} from "./ILeafVerifier.sol";

/// @title One-step verifier of the opml-wasm step machine.
/// @notice Executes one Wasm instruction over commitments, exactly as the Rust reference
/// verifier (vm/src/proof/step.rs) does, reading the witness items from a proof in the
/// layout of vm/src/proof/codec.rs. Invalid proofs revert with the custom errors of
/// ProofReader, which mirror the Rust `ProofError` variants.
contract WasmStep is ILeafVerifier {
    using ProofReader for Proof;
    using StepOps for Proof;

    /// @notice The post-state root of `proof`, whose claimed pre-state root must be
    /// `preRoot`. Reverts when the proof is invalid.
    function step(bytes32 preRoot, bytes calldata proof) external pure returns (bytes32 postRoot) {
        (postRoot,) = _step(preRoot, proof);
    }

    /// @inheritdoc ILeafVerifier
    /// @dev A halted or trapped pre-state does not step (its post-root is itself).
    function verifyLeaf(bytes32 preRoot, bytes calldata proof)
        external
        pure
        returns (bytes32 postRoot, bool preRunning)
    {
        return _step(preRoot, proof);
    }

    /// The post-state root of `proof` from `preRoot`, and whether the pre-state runs.
    function _step(bytes32 preRoot, bytes calldata proof) private pure returns (bytes32 postRoot, bool running) {
        Proof memory p;
        uint256 start;
        assembly ("memory-safe") {
            start := proof.offset
        }
        p.start = start;
        p.pos = start;
        p.end = start + proof.length;
        uint8 version = p.u8();
        if (version != PROOF_VERSION) revert ProofReader.Version(version);
        bytes32 claimed = p.hash();
        uint256 stateAt = p.pos;
        p.readState();
        if (p.stateRoot() != claimed) revert ProofReader.PreRootMismatch();
        running = p.status == STATUS_RUNNING && p.trap == 0;
        if (!running) {
            postRoot = claimed;
        } else {
            uint8 trap = _run(p);
            postRoot = trap == 0 ? p.stateRoot() : _trapped(stateAt, trap);
        }
        if (p.pos != p.end) revert ProofReader.TrailingBytes(p.pos - p.start);
        if (claimed != preRoot) revert ProofReader.PreRootMismatch();
    }

    /// The pre-state (still in calldata at `stateAt`) with status trapped by `trap`.
    function _trapped(uint256 stateAt, uint8 trap) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, TAG_STATE)
            mstore8(add(m, 1), STATUS_TRAPPED)
            mstore8(add(m, 2), trap)
            calldatacopy(add(m, 3), add(stateAt, 2), 212)
            h := keccak256(m, 215)
        }
    }

    /// Proves the program and the code word, then executes it. Returns a trap code.
    function _run(Proof memory p) private pure returns (uint8) {
        if (p.readProgram() != p.program) revert ProofReader.Mismatch("program");
        if (p.pc >= p.codeLen) revert ProofReader.OutOfRange("pc");
        (bytes32 word, uint256 path) = p.word(ProofReader.heightFor(p.codeLen));
        ProofReader.checkPath(word, p.pc, path, ProofReader.heightFor(p.codeLen), p.codeRoot, "code word");
        uint8 op = uint8(uint256(word) >> 248);
        if ((KNOWN_OPS >> op) & 1 == 0) revert ProofReader.UnknownOpcode(op);
        if ((FLOAT_OPS >> op) & 1 == 1) revert ProofReader.FloatNotProvable(op);
        uint256 a = (uint256(word) >> 192) & 0xffffffff;
        p.pc += 1;
        if ((UNARY_OPS >> op) & 1 == 1) {
            (uint8 t, uint256 r) = WasmNumeric.exec(op, p.pop1(), 0);
            if (t == 0) p.push(r);
            return t;
        }
        if ((BINARY_OPS >> op) & 1 == 1) {
            uint256 ptr = p.pop(2);
            (uint8 t, uint256 r) = WasmNumeric.exec(op, ProofReader.cdU64(ptr + 8), ProofReader.cdU64(ptr));
            if (t == 0) p.push(r);
            return t;
        }
        if (((LOAD_OPS | STORE_OPS) >> op) & 1 == 1) return _memoryAccess(p, op, a);
        return _control(p, op, word, a);
    }

    /// Control, variable and constant ops.
    function _control(Proof memory p, uint8 op, bytes32 word, uint256 a) private pure returns (uint8) {
        uint256 b = (uint256(word) >> 160) & 0xffffffff;
        uint256 c = (uint256(word) >> 128) & 0xffffffff;
        if (op == OP_NOP || op == OP_BLOCK || op == OP_LOOP || op == OP_END) return 0;
        if (op == OP_UNREACHABLE) return TRAP_UNREACHABLE;
        if (op == OP_IF) {
            if (p.pop1() & 0xffffffff == 0) p.pc = uint32(a);
        } else if (op == OP_ELSE) {
            p.pc = uint32(a);
        } else if (op == OP_BR) {
            p.branch(a, b, c);
        } else if (op == OP_BR_IF) {
            if (p.pop1() & 0xffffffff != 0) p.branch(a, b, c);
        } else if (op == OP_BR_TABLE) {
            p.brTable(a, b);
        } else if (op == OP_RETURN) {
            p.ret();
        } else if (op == OP_CALL) {
            return p.call(uint32(a), p.functionWord(uint32(a)));
        } else if (op == OP_CALL_INDIRECT) {
            return p.callIndirect(a, b);
        } else if (op == OP_DROP) {
            p.pop1();
        } else if (op == OP_SELECT) {
            uint256 ptr = p.pop(3);
            p.push(ProofReader.cdU64(ptr) & 0xffffffff != 0 ? ProofReader.cdU64(ptr + 16) : ProofReader.cdU64(ptr + 8));
        } else if (op >= OP_LOCAL_GET && op <= OP_GLOBAL_SET) {
            p.variable(op, a);
        } else if (op == OP_MEMORY_SIZE) {
            p.memorySize();
        } else if (op == OP_MEMORY_GROW) {
            p.memoryGrow();
        } else if (op == OP_I32_CONST) {
            p.push(uint256(word) & 0xffffffff);
        } else {
            // OP_I64_CONST: every other opcode was dispatched or rejected above.
            p.push(uint256(word) & 0xffffffffffffffff);
        }
        return 0;
    }

    /// Loads and stores: one leaf, or two when the access crosses a 32-byte boundary.
    function _memoryAccess(Proof memory p, uint8 op, uint256 offset) private pure returns (uint8) {
        uint256 len = (MEM_BYTES >> (8 * (op - 0x20))) & 0xff;
        bool store = (STORE_OPS >> op) & 1 == 1;
        uint256 value;
        uint256 base;
        if (store) {
            value = p.pop1();
        }
        base = p.pop1();
        (bool has, uint256 memAt) = p.memoryEntry();
        if (!has) return TRAP_MEMORY_OUT_OF_BOUNDS;
        uint256 ea = (base & 0xffffffff) + offset;
        if (ea + len > ProofReader.cdU32(memAt) * PAGE_SIZE) return TRAP_MEMORY_OUT_OF_BOUNDS;
        uint256 signTo = (MEM_SIGN_TO >> (8 * (op - 0x20))) & 0xff;
        _accessLeaves(p, memAt, ea, len, store ? value : signTo, store);
        return 0;
    }

    /// Proves the one or two leaves holding bytes `ea..ea+len` of the memory whose entry
    /// is at `entry`, then loads (sign-extending to `arg` bits) or stores `arg`.
    function _accessLeaves(Proof memory p, uint256 entry, uint256 ea, uint256 len, uint256 arg, bool store)
        private
        pure
    {
        uint256[2] memory index = [ea / LEAF_SIZE, (ea + len - 1) / LEAF_SIZE];
        bytes32[2] memory w;
        uint256[2] memory path;
        bytes32 root = ProofReader.cdWord(entry + 8);
        for (uint256 k = 0; k < 2 && (k == 0 || index[1] != index[0]); k++) {
            (w[k], path[k]) = p.word(MEMORY_TREE_HEIGHT);
            ProofReader.checkPath(w[k], index[k], path[k], MEMORY_TREE_HEIGHT, root, "memory leaf");
        }
        uint256 offset = ea % LEAF_SIZE;
        if (!store) {
            p.push(_load(w, offset, len, arg));
            return;
        }
        assembly ("memory-safe") {
            for { let k := 0 } lt(k, len) { k := add(k, 1) } {
                mstore8(add(w, add(offset, k)), and(shr(shl(3, k), arg), 0xff))
            }
        }
        bytes32 newRoot = index[1] == index[0]
            ? ProofReader.rootFromPath(w[0], index[0], path[0], MEMORY_TREE_HEIGHT)
            : _updateTwo(w[0], index[0], path[0], w[1], index[1], path[1]);
        p.commitMemory(entry, ProofReader.cdU32(entry), newRoot);
    }

    /// The little-endian value of bytes `offset..offset+len` of `w`, sign-extended from
    /// its top bit to `signTo` bits (0: zero-extended).
    function _load(bytes32[2] memory w, uint256 offset, uint256 len, uint256 signTo) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            for { let k := 0 } lt(k, len) { k := add(k, 1) } {
                v := or(v, shl(shl(3, k), byte(0, mload(add(w, add(offset, k))))))
            }
        }
        uint256 bits = 8 * len;
        if (signTo != 0 && (v >> (bits - 1)) & 1 == 1) v |= ((1 << signTo) - 1) ^ ((1 << bits) - 1);
    }

    /// The root after replacing adjacent leaves `i` and `j` with `wi` and `wj`: `j`'s path
    /// takes `i`'s new node where the two paths meet.
    function _updateTwo(bytes32 wi, uint256 i, uint256 pathI, bytes32 wj, uint256 j, uint256 pathJ)
        private
        pure
        returns (bytes32 acc)
    {
        bytes32 ni = wi;
        acc = wj;
        for (uint256 h = 0; h < MEMORY_TREE_HEIGHT; h++) {
            bytes32 sj = ((j >> h) ^ 1) == (i >> h) ? ni : ProofReader.cdWord(pathJ + 32 * h);
            acc = (j >> h) & 1 == 0 ? ProofReader.node(acc, sj) : ProofReader.node(sj, acc);
            bytes32 si = ProofReader.cdWord(pathI + 32 * h);
            ni = (i >> h) & 1 == 0 ? ProofReader.node(ni, si) : ProofReader.node(si, ni);
        }
    }
}
