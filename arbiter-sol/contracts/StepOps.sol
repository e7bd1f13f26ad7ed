// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {ProofReader, Proof} from "./ProofReader.sol";

/// @title Control, call, variable and memory semantics of the one-step verifier.
/// @notice Each function mirrors the method of the same name in vm/src/proof/step.rs.
library StepOps {
    using ProofReader for Proof;

    uint256 private constant M32 = 0xffffffff;

    /// @notice Jumps to `pc`, dropping `drop` operands from under the `keep` top ones.
    function branch(Proof memory p, uint256 pc, uint256 drop, uint256 keep) internal pure {
        if (drop != 0) {
            uint256 n = keep + drop;
            if (n > M32) revert ProofReader.OutOfRange("branch");
            uint256 ptr = p.pop(n);
            for (uint256 i = keep; i > 0; i--) {
                p.push(ProofReader.cdU64(ptr + 8 * (i - 1)));
            }
        }
        p.pc = pc;
    }

    /// @notice `br_table` over targets `start..start+len` (the last is the default).
    function brTable(Proof memory p, uint256 start, uint256 len) internal pure {
        uint256 i = p.pop1() & M32;
        if (i > len) i = len;
        uint256 index = start + i;
        if (index > M32 || index >= p.brLen) revert ProofReader.OutOfRange("br_table target");
        uint256 height = ProofReader.heightFor(p.brLen);
        uint256 pc = p.u32();
        uint256 drop = p.u32();
        uint256 keep = p.u32();
        uint256 path = p.needItems(height, 32);
        bytes32 w = bytes32((pc << 224) | (drop << 192) | (keep << 160));
        ProofReader.checkPath(w, index, path, height, p.brRoot, "br_table target");
        branch(p, pc, drop, keep);
    }

    /// @notice The function word of store function `addr`, checked.
    function functionWord(Proof memory p, uint256 addr) internal pure returns (uint256) {
        if (addr >= p.funcsLen) revert ProofReader.OutOfRange("function");
        uint256 height = ProofReader.heightFor(p.funcsLen);
        (bytes32 w, uint256 path) = p.word(height);
        ProofReader.checkPath(w, addr, path, height, p.funcsRoot, "function word");
        return uint256(w);
    }

    /// @notice Calls `callee` whose function word is `f`; returns a trap code.
    function call(Proof memory p, uint256 callee, uint256 f) internal pure returns (uint8) {
        if ((f >> 216) & 0xff != FUNC_KIND_WASM) revert ProofReader.HostCallNotProvable(uint32(callee));
        uint256 params = (f >> 128) & M32;
        uint256 numLocals = (f >> 96) & M32;
        if (params > numLocals) revert ProofReader.OutOfRange("function locals");
        uint256 args = p.pop(params);
        uint256 newFp = p.sp;
        uint256 newSp = newFp + numLocals;
        if (p.depth >= MAX_CALL_DEPTH || newSp + ((f >> 32) & M32) > STACK_SLOTS) {
            return TRAP_CALL_STACK_EXHAUSTED;
        }
        p.frames = pushFrame(p);
        p.depth += 1;
        p.locals = ProofReader.rootOfValues(args, params, ProofReader.heightFor(numLocals));
        p.operands = bytes32(0);
        p.fp = newFp;
        p.sp = newSp;
        p.pc = (f >> 160) & M32;
        p.func = callee;
        return 0;
    }

    /// @notice The frame chain with the current frame pushed as a caller.
    function pushFrame(Proof memory p) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(248, TAG_FRAME))
            mstore(add(m, 1), shl(224, mload(add(p, 0xc0))))
            mstore(add(m, 5), shl(224, mload(add(p, 0xe0))))
            mstore(add(m, 9), shl(224, mload(add(p, 0xa0))))
            mstore(add(m, 13), mload(add(p, 0x160)))
            mstore(add(m, 45), mload(add(p, 0x180)))
            mstore(add(m, 77), mload(add(p, 0x1a0)))
            h := keccak256(m, 109)
        }
    }

    /// @notice `call_indirect` through table `table` expecting type `typeId`.
    function callIndirect(Proof memory p, uint256 typeId, uint256 table) internal pure returns (uint8) {
        uint256 i = p.pop1() & M32;
        uint256 count = p.u32();
        uint256 ptr = p.needRecords(count, 36);
        if (ProofReader.tagged(TAG_TABLES, ptr, count * 36) != p.tables) revert ProofReader.Mismatch("tables");
        if (table >= count) revert ProofReader.OutOfRange("table");
        uint256 len = ProofReader.cdU32(ptr + 36 * table);
        if (i >= len) return TRAP_UNDEFINED_ELEMENT;
        uint256 height = ProofReader.heightFor(len);
        uint256 entry = p.u32();
        uint256 path = p.needItems(height, 32);
        bytes32 root = ProofReader.cdWord(ptr + 36 * table + 4);
        ProofReader.checkPath(bytes32(entry), i, path, height, root, "table entry");
        if (entry == M32) return TRAP_UNINITIALIZED_ELEMENT;
        uint256 f = functionWord(p, entry);
        if (f >> 224 != typeId) return TRAP_INDIRECT_CALL_TYPE_MISMATCH;
        return call(p, entry, f);
    }

    /// @notice `return`: back to the caller, or halts from the outermost frame.
    function ret(Proof memory p) internal pure {
        uint256 results = (functionWord(p, p.func) >> 64) & M32;
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
            uint256 frameAt = p.pos;
            p.u32();
            p.u32();
            p.u32();
            p.hash();
            p.hash();
            bytes32 below = p.hash();
            if (ProofReader.tagged(TAG_FRAME, frameAt, 108) != p.frames) revert ProofReader.Mismatch("frames");
            p.frames = below;
            p.depth -= 1;
            p.func = ProofReader.cdU32(frameAt);
            p.fp = ProofReader.cdU32(frameAt + 4);
            p.pc = ProofReader.cdU32(frameAt + 8);
            p.locals = ProofReader.cdWord(frameAt + 12);
            under = ProofReader.cdWord(frameAt + 44);
        }
        for (uint256 i = results; i > 0; i--) {
            under = ProofReader.pushValue(under, ProofReader.cdU64(ptr + 8 * (i - 1)));
        }
        p.operands = under;
        p.sp = sp;
    }

    /// @notice `local.get/set/tee` and `global.get/set` of index `i`.
    function variable(Proof memory p, uint8 op, uint256 i) internal pure {
        bool local = op <= OP_LOCAL_TEE;
        string memory item = local ? "local" : "global";
        uint256 x;
        bool get = op == OP_LOCAL_GET || op == OP_GLOBAL_GET;
        if (!get) x = p.pop1();
        uint256 v = ProofReader.cdU64(p.need(8));
        uint256 len = p.u8();
        if (len > MAX_SLOT_PATH) revert ProofReader.PathTooLong(len);
        uint256 path = p.needItems(len, 32);
        ProofReader.checkPath(bytes32(v), i, path, len, local ? p.locals : p.globals, item);
        if (get) {
            p.push(v);
            return;
        }
        bytes32 root = ProofReader.rootFromPath(bytes32(x), i, path, len);
        if (local) p.locals = root;
        else p.globals = root;
        if (op == OP_LOCAL_TEE) p.push(x);
    }

    /// @notice The current function's memory entry in calldata (`has` false without one).
    function memoryEntry(Proof memory p) internal pure returns (bool has, uint256 entry) {
        uint256 m = functionWord(p, p.func) & M32;
        if (m == NO_MEMORY) return (false, 0);
        uint256 count = p.u32();
        uint256 ptr = p.needRecords(count, 40);
        if (ProofReader.tagged(TAG_MEMORIES, ptr, count * 40) != p.memories) revert ProofReader.Mismatch("memories");
        if (m >= count) revert ProofReader.OutOfRange("memory");
        p.memsAt = ptr;
        p.memsCount = count;
        return (true, ptr + 40 * m);
    }

    /// @notice The memories commitment with the entry at `entry` set to `pages`, `root`.
    function commitMemory(Proof memory p, uint256 entry, uint256 pages, bytes32 root) internal pure {
        uint256 ptr = p.memsAt;
        uint256 len = p.memsCount * 40;
        uint256 limit = ProofReader.cdU32(entry + 4);
        bytes32 h;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, TAG_MEMORIES)
            calldatacopy(add(m, 1), ptr, len)
            let e := add(add(m, 1), sub(entry, ptr))
            mstore(e, or(shl(224, pages), shl(192, limit)))
            mstore(add(e, 8), root)
            h := keccak256(m, add(len, 1))
        }
        p.memories = h;
    }

    /// @notice `memory.size`.
    function memorySize(Proof memory p) internal pure {
        (bool has, uint256 entry) = memoryEntry(p);
        if (!has) revert ProofReader.NoMemory();
        p.push(ProofReader.cdU32(entry));
    }

    /// @notice `memory.grow`.
    function memoryGrow(Proof memory p) internal pure {
        uint256 delta = p.pop1() & M32;
        (bool has, uint256 entry) = memoryEntry(p);
        if (!has) revert ProofReader.NoMemory();
        uint256 old = ProofReader.cdU32(entry);
        uint256 grown = old + delta;
        if (grown <= M32 && grown <= ProofReader.cdU32(entry + 4)) {
            commitMemory(p, entry, grown, ProofReader.cdWord(entry + 8));
            p.push(old);
        } else {
            p.push(M32);
        }
    }
}
