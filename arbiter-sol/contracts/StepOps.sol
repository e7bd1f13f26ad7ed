// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {ProofReader, Proof} from "./ProofReader.sol";

/// @title Control, call, variable and memory semantics of the one-step verifier.
/// @notice Each function mirrors the method of the same name (snake_case there) in
/// vm/src/proof/step.rs, in the same order. Functions that execute an op return a trap
/// code (0: none), like step.rs's `Exec`.
library StepOps {
    using ProofReader for Proof;

    uint256 private constant M32 = 0xffffffff;

    /// @notice Jumps to `pc`, dropping `drop` operands from under the `keep` top ones.
    function branch(Proof memory p, uint256 pc, uint256 drop, uint256 keep) internal pure returns (uint8) {
        if (drop != 0) {
            uint256 n = keep + drop;
            if (n > M32) revert ProofReader.OutOfRange("branch");
            uint256 ptr = p.pop(n);
            for (uint256 i = keep; i > 0; i--) {
                p.push(ProofReader.cdU64(ptr + 8 * (i - 1)));
            }
        }
        p.pc = pc;
        return 0;
    }

    /// @notice `br_table` over targets `start..start+len` (the last is the default): the
    /// target is proven from the branch tree.
    function brTable(Proof memory p, uint256 start, uint256 len) internal pure returns (uint8) {
        uint256 i = p.pop1() & M32;
        if (i > len) i = len;
        uint256 index = start + i;
        if (index > M32 || index >= p.brLen) revert ProofReader.OutOfRange("br_table target");
        (uint256 pc, uint256 drop, uint256 keep) = _branchTarget(p, index);
        return branch(p, pc, drop, keep);
    }

    /// @notice Reads branch target `index` and proves it from the branch tree.
    function _branchTarget(Proof memory p, uint256 index)
        private
        pure
        returns (uint256 pc, uint256 drop, uint256 keep)
    {
        uint256 height = ProofReader.heightFor(p.brLen);
        pc = p.u32();
        drop = p.u32();
        keep = p.u32();
        uint256 path = p.needItems(height, 32);
        bytes32 w = bytes32((pc << BRANCH_PC_SHIFT) | (drop << BRANCH_DROP_SHIFT) | (keep << BRANCH_KEEP_SHIFT));
        ProofReader.checkPath(w, index, path, height, p.brRoot, "br_table target");
    }

    /// @notice The function word of store function `addr`, checked.
    function functionWord(Proof memory p, uint256 addr) internal pure returns (uint256) {
        if (addr >= p.funcsLen) revert ProofReader.OutOfRange("function");
        uint256 height = ProofReader.heightFor(p.funcsLen);
        (bytes32 w, uint256 path) = p.word(height);
        ProofReader.checkPath(w, addr, path, height, p.funcsRoot, "function word");
        return uint256(w);
    }

    /// @notice Calls `callee`, whose function word is `f`.
    function call(Proof memory p, uint256 callee, uint256 f) internal pure returns (uint8) {
        if ((f >> FUNC_KIND_SHIFT) & 0xff != FUNC_KIND_WASM) revert ProofReader.HostCallNotProvable(uint32(callee));
        uint256 params = (f >> FUNC_PARAMS_SHIFT) & M32;
        uint256 numLocals = (f >> FUNC_LOCALS_SHIFT) & M32;
        if (params > numLocals) revert ProofReader.OutOfRange("function locals");
        uint256 args = p.pop(params);
        uint256 newFp = p.sp;
        uint256 newSp = newFp + numLocals;
        if (p.depth >= MAX_CALL_DEPTH || newSp + ((f >> FUNC_MAX_HEIGHT_SHIFT) & M32) > STACK_SLOTS) {
            return TRAP_CALL_STACK_EXHAUSTED;
        }
        p.frames = pushFrame(p);
        p.depth += 1;
        p.locals = ProofReader.rootOfValues(args, params, ProofReader.heightFor(numLocals));
        p.operands = bytes32(0);
        p.fp = newFp;
        p.sp = newSp;
        p.pc = (f >> FUNC_ENTRY_SHIFT) & M32;
        p.func = callee;
        return 0;
    }

    /// @notice The frame chain with the current frame pushed as a caller (commit.rs
    /// `push_frame`). Reads the `Proof` fields func (0xc0), fp (0xe0), pc (0xa0),
    /// locals (0x160), operands (0x180) and frames (0x1a0) from memory.
    function pushFrame(Proof memory p) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(248, TAG_FRAME))
            mstore(add(m, add(1, FRAME_FUNC_AT)), shl(224, mload(add(p, 0xc0))))
            mstore(add(m, add(1, FRAME_FP_AT)), shl(224, mload(add(p, 0xe0))))
            mstore(add(m, add(1, FRAME_RET_PC_AT)), shl(224, mload(add(p, 0xa0))))
            mstore(add(m, add(1, FRAME_LOCALS_AT)), mload(add(p, 0x160)))
            mstore(add(m, add(1, FRAME_OPERANDS_AT)), mload(add(p, 0x180)))
            mstore(add(m, add(1, FRAME_BELOW_AT)), mload(add(p, 0x1a0)))
            h := keccak256(m, add(1, FRAME_LEN))
        }
    }

    /// @notice `call_indirect` through table `table`, expecting type `typeId`.
    function callIndirect(Proof memory p, uint256 typeId, uint256 table) internal pure returns (uint8) {
        uint256 i = p.pop1() & M32;
        uint256 count = p.u32();
        uint256 ptr = p.needRecords(count, TABLE_RECORD_LEN);
        if (ProofReader.tagged(TAG_TABLES, ptr, count * TABLE_RECORD_LEN) != p.tables) {
            revert ProofReader.Mismatch("tables");
        }
        if (table >= count) revert ProofReader.OutOfRange("table");
        uint256 record = ptr + TABLE_RECORD_LEN * table;
        uint256 len = ProofReader.cdU32(record + TABLE_LEN_AT);
        if (i >= len) return TRAP_UNDEFINED_ELEMENT;
        uint256 height = ProofReader.heightFor(len);
        uint256 entry = p.u32();
        uint256 path = p.needItems(height, 32);
        ProofReader.checkPath(bytes32(entry), i, path, height, ProofReader.cdWord(record + TABLE_ROOT_AT), "table entry");
        if (entry == M32) return TRAP_UNINITIALIZED_ELEMENT;
        uint256 f = functionWord(p, entry);
        if ((f >> FUNC_TYPE_ID_SHIFT) & M32 != typeId) return TRAP_INDIRECT_CALL_TYPE_MISMATCH;
        return call(p, entry, f);
    }

    /// @notice `return`: back to the caller, or halts from the outermost frame.
    function ret(Proof memory p) internal pure returns (uint8) {
        uint256 results = (functionWord(p, p.func) >> FUNC_RESULTS_SHIFT) & M32;
        uint256 ptr = p.pop(results);
        uint256 sp = p.fp + results;
        if (sp > M32) revert ProofReader.OutOfRange("sp");
        bytes32 under;
        if (p.depth == 0) {
            p.func = NO_FUNC;
            p.status = STATUS_HALTED;
            p.trap = 0;
            p.locals = bytes32(0);
        } else {
            // Field by field, so that a short proof reports the field, as in Rust.
            uint256 frameAt = p.pos;
            p.u32();
            p.u32();
            p.u32();
            p.hash();
            p.hash();
            p.hash();
            if (ProofReader.tagged(TAG_FRAME, frameAt, FRAME_LEN) != p.frames) revert ProofReader.Mismatch("frames");
            p.frames = ProofReader.cdWord(frameAt + FRAME_BELOW_AT);
            p.depth -= 1;
            p.func = ProofReader.cdU32(frameAt + FRAME_FUNC_AT);
            p.fp = ProofReader.cdU32(frameAt + FRAME_FP_AT);
            p.pc = ProofReader.cdU32(frameAt + FRAME_RET_PC_AT);
            p.locals = ProofReader.cdWord(frameAt + FRAME_LOCALS_AT);
            under = ProofReader.cdWord(frameAt + FRAME_OPERANDS_AT);
        }
        for (uint256 i = results; i > 0; i--) {
            under = ProofReader.pushValue(under, ProofReader.cdU64(ptr + 8 * (i - 1)));
        }
        p.operands = under;
        p.sp = sp;
        return 0;
    }

    /// @notice `local.get`.
    function localGet(Proof memory p, uint256 i) internal pure returns (uint8) {
        (uint256 v,,) = _slot(p, i, true);
        return p.push(v);
    }

    /// @notice `local.set`.
    function localSet(Proof memory p, uint256 i) internal pure returns (uint8) {
        uint256 x = p.pop1();
        (, uint256 path, uint256 len) = _slot(p, i, true);
        p.locals = ProofReader.rootFromPath(bytes32(x), i, path, len);
        return 0;
    }

    /// @notice `local.tee`.
    function localTee(Proof memory p, uint256 i) internal pure returns (uint8) {
        uint256 x = p.pop1();
        (, uint256 path, uint256 len) = _slot(p, i, true);
        p.locals = ProofReader.rootFromPath(bytes32(x), i, path, len);
        return p.push(x);
    }

    /// @notice `global.get`.
    function globalGet(Proof memory p, uint256 g) internal pure returns (uint8) {
        (uint256 v,,) = _slot(p, g, false);
        return p.push(v);
    }

    /// @notice `global.set`.
    function globalSet(Proof memory p, uint256 g) internal pure returns (uint8) {
        uint256 x = p.pop1();
        (, uint256 path, uint256 len) = _slot(p, g, false);
        p.globals = ProofReader.rootFromPath(bytes32(x), g, path, len);
        return 0;
    }

    /// @notice Local (`local`) or global slot `i`: its value and its path (in calldata,
    /// `len` siblings), checked against the locals or globals root.
    function _slot(Proof memory p, uint256 i, bool local)
        private
        pure
        returns (uint256 v, uint256 path, uint256 len)
    {
        v = ProofReader.cdU64(p.need(8));
        len = p.u8();
        if (len > MAX_SLOT_PATH) revert ProofReader.PathTooLong(len);
        path = p.needItems(len, 32);
        ProofReader.checkPath(bytes32(v), i, path, len, local ? p.locals : p.globals, local ? "local" : "global");
    }

    /// @notice The current function's memory record in calldata (`has` false without
    /// one), after proving the memories commitment.
    function memoryEntry(Proof memory p) internal pure returns (bool has, uint256 entry) {
        uint256 m = (functionWord(p, p.func) >> FUNC_MEMORY_SHIFT) & M32;
        if (m == NO_MEMORY) return (false, 0);
        uint256 count = p.u32();
        uint256 ptr = p.needRecords(count, MEMORY_RECORD_LEN);
        if (ProofReader.tagged(TAG_MEMORIES, ptr, count * MEMORY_RECORD_LEN) != p.memories) {
            revert ProofReader.Mismatch("memories");
        }
        if (m >= count) revert ProofReader.OutOfRange("memory");
        p.memsAt = ptr;
        p.memsCount = count;
        return (true, ptr + MEMORY_RECORD_LEN * m);
    }

    /// @notice The memories commitment with the record at `entry` set to `pages`, `root`.
    function commitMemory(Proof memory p, uint256 entry, uint256 pages, bytes32 root) internal pure {
        uint256 ptr = p.memsAt;
        uint256 len = p.memsCount * MEMORY_RECORD_LEN;
        uint256 limit = ProofReader.cdU32(entry + MEMORY_LIMIT_AT);
        bytes32 h;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, TAG_MEMORIES)
            calldatacopy(add(m, 1), ptr, len)
            let e := add(add(m, 1), sub(entry, ptr))
            mstore(add(e, MEMORY_PAGES_AT), shl(224, pages))
            mstore(add(e, MEMORY_LIMIT_AT), shl(224, limit))
            mstore(add(e, MEMORY_ROOT_AT), root)
            h := keccak256(m, add(len, 1))
        }
        p.memories = h;
    }

    /// @notice `memory.size`.
    function memorySize(Proof memory p) internal pure returns (uint8) {
        (bool has, uint256 entry) = memoryEntry(p);
        if (!has) revert ProofReader.NoMemory();
        return p.push(ProofReader.cdU32(entry + MEMORY_PAGES_AT));
    }

    /// @notice `memory.grow`.
    function memoryGrow(Proof memory p) internal pure returns (uint8) {
        uint256 delta = p.pop1() & M32;
        (bool has, uint256 entry) = memoryEntry(p);
        if (!has) revert ProofReader.NoMemory();
        uint256 old = ProofReader.cdU32(entry + MEMORY_PAGES_AT);
        uint256 grown = old + delta;
        if (grown <= M32 && grown <= ProofReader.cdU32(entry + MEMORY_LIMIT_AT)) {
            commitMemory(p, entry, grown, ProofReader.cdWord(entry + MEMORY_ROOT_AT));
            return p.push(old);
        }
        return p.push(M32);
    }
}
