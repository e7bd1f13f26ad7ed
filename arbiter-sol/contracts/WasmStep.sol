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
/// ProofReader, which mirror the Rust `ProofError` variants. Its functions carry the
/// names of their step.rs counterparts (camelCase, `_` before private ones) in the same
/// order, as do those of StepOps and ProofReader (docs/solidity-verifier.md).
contract WasmStep is ILeafVerifier {
    using ProofReader for Proof;
    using StepOps for Proof;

    uint256 private constant M32 = 0xffffffff;
    uint256 private constant M64 = 0xffffffffffffffff;

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

    /// step.rs `step`: the post-state root of `proof` from `preRoot`, and whether the
    /// pre-state runs.
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
            (uint8 op, uint256 word) = _fetch(p);
            p.pc += 1;
            uint8 trap = _exec(p, op, word);
            postRoot = trap == 0 ? p.stateRoot() : _trapped(stateAt, trap);
        }
        if (p.pos != p.end) revert ProofReader.TrailingBytes(p.pos - p.start);
        if (claimed != preRoot) revert ProofReader.PreRootMismatch();
    }

    /// The pre-state (its fields still in calldata at `stateAt`) with status trapped by
    /// `trap`.
    function _trapped(uint256 stateAt, uint8 trap) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, TAG_STATE)
            mstore8(add(m, add(1, STATE_STATUS_AT)), STATUS_TRAPPED)
            mstore8(add(m, add(1, STATE_TRAP_AT)), trap)
            calldatacopy(add(m, add(1, STATE_PC_AT)), add(stateAt, STATE_PC_AT), sub(STATE_LEN, STATE_PC_AT))
            h := keccak256(m, STATE_PREIMAGE_LEN)
        }
    }

    /// step.rs `fetch`: proves the program and the code word at `pc`; a float op
    /// rejects the proof. (An opcode byte that is no op reverts at the end of `_exec`,
    /// before anything else is read, where Rust's decoding rejects it.)
    function _fetch(Proof memory p) private pure returns (uint8 op, uint256 word) {
        if (p.readProgram() != p.program) revert ProofReader.Mismatch("program");
        if (p.pc >= p.codeLen) revert ProofReader.OutOfRange("pc");
        uint256 height = ProofReader.heightFor(p.codeLen);
        (bytes32 w, uint256 path) = p.word(height);
        ProofReader.checkPath(w, p.pc, path, height, p.codeRoot, "code word");
        word = uint256(w);
        op = uint8(word >> CODE_OPCODE_SHIFT);
        if ((FLOAT_OPS >> op) & 1 == 1) revert ProofReader.FloatNotProvable(op);
    }

    /// step.rs `exec`: numeric and memory ops by their generated masks, then the control
    /// table's ops in table order; any other opcode reverts.
    function _exec(Proof memory p, uint8 op, uint256 word) private pure returns (uint8) {
        uint256 a = (word >> CODE_A_SHIFT) & M32;
        if (((UNARY_OPS | BINARY_OPS) >> op) & 1 == 1) return _numeric(p, op);
        if (((LOAD_OPS | STORE_OPS) >> op) & 1 == 1) return _memoryAccess(p, op, a);
        uint256 b = (word >> CODE_B_SHIFT) & M32;
        if (op == OP_UNREACHABLE) return TRAP_UNREACHABLE;
        if (op == OP_NOP || op == OP_BLOCK || op == OP_LOOP || op == OP_END) return 0;
        if (op == OP_IF) {
            if (p.pop1() & M32 == 0) p.pc = a;
            return 0;
        }
        if (op == OP_ELSE) {
            p.pc = a;
            return 0;
        }
        if (op == OP_BR) return p.branch(a, b, (word >> CODE_C_SHIFT) & M32);
        if (op == OP_BR_IF) {
            if (p.pop1() & M32 != 0) p.branch(a, b, (word >> CODE_C_SHIFT) & M32);
            return 0;
        }
        if (op == OP_BR_TABLE) return p.brTable(a, b);
        if (op == OP_RETURN) return p.ret();
        if (op == OP_CALL) return p.call(a, p.functionWord(a));
        if (op == OP_CALL_INDIRECT) return p.callIndirect(a, b);
        if (op == OP_DROP) {
            p.pop1();
            return 0;
        }
        if (op == OP_SELECT) {
            uint256 ptr = p.pop(3);
            return p.push(ProofReader.cdU64(ptr) & M32 != 0 ? ProofReader.cdU64(ptr + 16) : ProofReader.cdU64(ptr + 8));
        }
        if (op == OP_LOCAL_GET) return p.localGet(a);
        if (op == OP_LOCAL_SET) return p.localSet(a);
        if (op == OP_LOCAL_TEE) return p.localTee(a);
        if (op == OP_GLOBAL_GET) return p.globalGet(a);
        if (op == OP_GLOBAL_SET) return p.globalSet(a);
        if (op == OP_MEMORY_SIZE) return p.memorySize();
        if (op == OP_MEMORY_GROW) return p.memoryGrow();
        if (op == OP_I32_CONST) return p.push((word >> CODE_K_SHIFT) & M32);
        if (op == OP_I64_CONST) return p.push((word >> CODE_K_SHIFT) & M64);
        // `_fetch` rejected these, as every float op.
        if (op == OP_F32_CONST || op == OP_F64_CONST) revert ProofReader.FloatNotProvable(op);
        revert ProofReader.UnknownOpcode(op);
    }

    /// step.rs `numeric`: a unary or binary numeric op pops its operands, then pushes
    /// the result or traps.
    function _numeric(Proof memory p, uint8 op) private pure returns (uint8 t) {
        uint256 r;
        if ((UNARY_OPS >> op) & 1 == 1) {
            (t, r) = WasmNumeric.numeric(op, p.pop1(), 0);
        } else {
            uint256 ptr = p.pop(2);
            (t, r) = WasmNumeric.numeric(op, ProofReader.cdU64(ptr + 8), ProofReader.cdU64(ptr));
        }
        if (t == 0) p.push(r);
    }

    /// step.rs `memory_access`: loads and stores, one leaf or two when the access
    /// crosses a 32-byte boundary.
    function _memoryAccess(Proof memory p, uint8 op, uint256 offset) private pure returns (uint8) {
        uint256 len = (MEM_BYTES >> (8 * (op - MEM_OPCODE_BASE))) & 0xff;
        bool store = (STORE_OPS >> op) & 1 == 1;
        uint256 value;
        uint256 base;
        if (store) {
            value = p.pop1();
        }
        base = p.pop1();
        (bool has, uint256 memAt) = p.memoryEntry();
        if (!has) return TRAP_MEMORY_OUT_OF_BOUNDS;
        uint256 ea = (base & M32) + offset;
        if (ea + len > ProofReader.cdU32(memAt + MEMORY_PAGES_AT) * PAGE_SIZE) return TRAP_MEMORY_OUT_OF_BOUNDS;
        uint256 signTo = (MEM_SIGN_TO >> (8 * (op - MEM_OPCODE_BASE))) & 0xff;
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
        bytes32 root = ProofReader.cdWord(entry + MEMORY_ROOT_AT);
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
            : _updateLeaves(w[0], index[0], path[0], w[1], index[1], path[1]);
        p.commitMemory(entry, ProofReader.cdU32(entry + MEMORY_PAGES_AT), newRoot);
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

    /// step.rs `update_leaves`: the root after replacing adjacent leaves `i` and `j`
    /// with `wi` and `wj`: `j`'s path takes `i`'s new node where the two paths meet.
    function _updateLeaves(bytes32 wi, uint256 i, uint256 pathI, bytes32 wj, uint256 j, uint256 pathJ)
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
