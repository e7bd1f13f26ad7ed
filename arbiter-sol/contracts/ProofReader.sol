// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";

/// @notice A proof being verified: the calldata cursor, the state fields being updated
/// and the proven program fields. Integers are held widened to uint256.
struct Proof {
    uint256 start;
    uint256 pos;
    uint256 end;
    uint256 status;
    uint256 trap;
    uint256 pc;
    uint256 func;
    uint256 fp;
    uint256 sp;
    uint256 depth;
    bytes32 program;
    bytes32 locals;
    bytes32 operands;
    bytes32 frames;
    bytes32 globals;
    bytes32 memories;
    uint256 codeLen;
    bytes32 codeRoot;
    uint256 brLen;
    bytes32 brRoot;
    uint256 funcsLen;
    bytes32 funcsRoot;
    bytes32 tables;
    // The memories commitment's preimage in calldata, once read.
    uint256 memsAt;
    uint256 memsCount;
}

/// @title Proof items and state updates of the one-step verifier.
/// @notice Reads the items of vm/src/proof/codec.rs from calldata in the order the step
/// semantics asks for them, checks each against its commitment and updates the state.
/// The errors mirror the Rust `ProofError` (offsets are relative to the proof's start).
library ProofReader {
    /// The proof's format version is not PROOF_VERSION.
    error Version(uint8 version);
    /// The proof ends inside the item starting at `offset`.
    error Truncated(uint256 offset);
    /// Bytes left over after the step, from `offset`.
    error TrailingBytes(uint256 offset);
    /// A local or global path longer than MAX_SLOT_PATH.
    error PathTooLong(uint256 len);
    /// The state fields do not hash to the claimed pre-state root, or that root is not
    /// the expected one.
    error PreRootMismatch();
    /// An item does not match the commitment it claims to belong to.
    error Mismatch(string item);
    /// An index or size outside what the commitment allows.
    error OutOfRange(string item);
    /// The code word holds no known opcode.
    error UnknownOpcode(uint8 opcode);
    /// Float instructions are not provable on-chain.
    error FloatNotProvable(uint8 opcode);
    /// Host functions cannot be executed by the verifier.
    error HostCallNotProvable(uint32 func);
    /// A memory instruction in a function without a memory.
    error NoMemory();

    uint256 private constant M32 = 0xffffffff;

    // ---- calldata ----------------------------------------------------------------

    /// @notice Advances the cursor over `n` bytes; returns where they start.
    function need(Proof memory p, uint256 n) internal pure returns (uint256 ptr) {
        ptr = p.pos;
        if (ptr + n > p.end) revert Truncated(ptr - p.start);
        p.pos = ptr + n;
    }

    /// @notice Advances over `count` items of `size` bytes, failing at the first short one.
    function needItems(Proof memory p, uint256 count, uint256 size) internal pure returns (uint256 ptr) {
        ptr = p.pos;
        if (ptr + count * size > p.end) revert Truncated(ptr + ((p.end - ptr) / size) * size - p.start);
        p.pos = ptr + count * size;
    }

    /// @notice Advances over a list of `count` records of `size` bytes whose count must
    /// fit the bytes left (reported at the list's start, like the Rust `bounded_count`).
    function needRecords(Proof memory p, uint256 count, uint256 size) internal pure returns (uint256 ptr) {
        ptr = p.pos;
        if (ptr + count * size > p.end) revert Truncated(ptr - p.start);
        p.pos = ptr + count * size;
    }

    /// @notice A big-endian u32 in calldata at `ptr`.
    function cdU32(uint256 ptr) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(224, calldataload(ptr))
        }
    }

    /// @notice A big-endian u64 in calldata at `ptr`.
    function cdU64(uint256 ptr) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(192, calldataload(ptr))
        }
    }

    /// @notice A 32-byte word in calldata at `ptr`.
    function cdWord(uint256 ptr) internal pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(ptr)
        }
    }

    /// @notice Reads a u8.
    function u8(Proof memory p) internal pure returns (uint8) {
        return uint8(uint256(cdWord(need(p, 1))) >> 248);
    }

    /// @notice Reads a u32.
    function u32(Proof memory p) internal pure returns (uint256) {
        return cdU32(need(p, 4));
    }

    /// @notice Reads a hash.
    function hash(Proof memory p) internal pure returns (bytes32) {
        return cdWord(need(p, 32));
    }

    /// @notice Reads a tree word and its path of `height` siblings (left in calldata).
    function word(Proof memory p, uint256 height) internal pure returns (bytes32 w, uint256 path) {
        w = hash(p);
        path = needItems(p, height, 32);
    }

    /// @notice Keccak-256 of `tag` followed by `len` calldata bytes at `ptr`.
    function tagged(uint8 tag, uint256 ptr, uint256 len) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, tag)
            calldatacopy(add(m, 1), ptr, len)
            h := keccak256(m, add(len, 1))
        }
    }

    // ---- trees -------------------------------------------------------------------

    /// @notice The smallest height whose tree holds `n` leaves.
    function heightFor(uint256 n) internal pure returns (uint256 h) {
        while ((1 << h) < n) h++;
    }

    /// @notice The root over `leaf` at `index` with the `height` siblings at `path`.
    function rootFromPath(bytes32 leaf, uint256 index, uint256 path, uint256 height)
        internal
        pure
        returns (bytes32 acc)
    {
        assembly ("memory-safe") {
            acc := leaf
            for { let h := 0 } lt(h, height) { h := add(h, 1) } {
                let s := calldataload(add(path, shl(5, h)))
                switch and(shr(h, index), 1)
                case 0 {
                    mstore(0, acc)
                    mstore(32, s)
                }
                default {
                    mstore(0, s)
                    mstore(32, acc)
                }
                acc := keccak256(0, 64)
            }
        }
    }

    /// @notice Fails unless `leaf` at `index` leads to `root` and `index` fits the path.
    function checkPath(bytes32 leaf, uint256 index, uint256 path, uint256 height, bytes32 root, string memory item)
        internal
        pure
    {
        if (height < 64 && index >> height != 0) revert OutOfRange(item);
        if (rootFromPath(leaf, index, path, height) != root) revert Mismatch(item);
    }

    function node(bytes32 l, bytes32 r) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, l)
            mstore(32, r)
            h := keccak256(0, 64)
        }
    }

    /// @notice Root of a tree of `height` whose first `k` leaves are the value words of
    /// the popped operands at `ptr` (top first, so leaf j is operand k-1-j), rest zero.
    function rootOfValues(uint256 ptr, uint256 k, uint256 height) internal pure returns (bytes32) {
        bytes32[] memory level = new bytes32[](k);
        for (uint256 j = 0; j < k; j++) {
            level[j] = bytes32(cdU64(ptr + 8 * (k - 1 - j)));
        }
        uint256 n = k;
        bytes32 zero;
        for (uint256 h = 0; h < height; h++) {
            if (n == 0) {
                for (; h < height; h++) zero = node(zero, zero);
                return zero;
            }
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                level[i] = node(level[2 * i], 2 * i + 1 < n ? level[2 * i + 1] : zero);
            }
            n = m;
            zero = node(zero, zero);
        }
        return n == 0 ? zero : level[0];
    }

    // ---- state -------------------------------------------------------------------

    /// @notice Reads the state fields.
    function readState(Proof memory p) internal pure {
        p.status = u8(p);
        p.trap = u8(p);
        p.pc = u32(p);
        p.func = u32(p);
        p.fp = u32(p);
        p.sp = u32(p);
        p.depth = u32(p);
        p.program = hash(p);
        p.locals = hash(p);
        p.operands = hash(p);
        p.frames = hash(p);
        p.globals = hash(p);
        p.memories = hash(p);
    }

    /// @notice The state root of the current fields (commit.rs `StateFields::root`).
    /// Reads the `Proof` fields status (0x60) to memories (0x1e0) from memory.
    function stateRoot(Proof memory p) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(248, TAG_STATE))
            mstore(add(m, add(1, STATE_STATUS_AT)), shl(248, mload(add(p, 0x60))))
            mstore(add(m, add(1, STATE_TRAP_AT)), shl(248, mload(add(p, 0x80))))
            mstore(add(m, add(1, STATE_PC_AT)), shl(224, mload(add(p, 0xa0))))
            mstore(add(m, add(1, STATE_FUNC_AT)), shl(224, mload(add(p, 0xc0))))
            mstore(add(m, add(1, STATE_FP_AT)), shl(224, mload(add(p, 0xe0))))
            mstore(add(m, add(1, STATE_SP_AT)), shl(224, mload(add(p, 0x100))))
            mstore(add(m, add(1, STATE_DEPTH_AT)), shl(224, mload(add(p, 0x120))))
            for { let i := 0 } lt(i, 6) { i := add(i, 1) } {
                mstore(add(add(m, add(1, STATE_PROGRAM_AT)), shl(5, i)), mload(add(p, add(0x140, shl(5, i)))))
            }
            h := keccak256(m, STATE_PREIMAGE_LEN)
        }
    }

    /// @notice Reads the program fields; returns the program root they hash to.
    function readProgram(Proof memory p) internal pure returns (bytes32) {
        uint256 ptr = p.pos;
        p.codeLen = u32(p);
        p.codeRoot = hash(p);
        p.brLen = u32(p);
        p.brRoot = hash(p);
        p.funcsLen = u32(p);
        p.funcsRoot = hash(p);
        p.tables = hash(p);
        return tagged(TAG_PROGRAM, ptr, PROGRAM_LEN);
    }

    // ---- operands ----------------------------------------------------------------

    /// @notice Pops `n` operands; returns where their values (top first) are in calldata.
    function pop(Proof memory p, uint256 n) internal pure returns (uint256 ptr) {
        if (n == 0) return 0;
        ptr = needItems(p, n, 8);
        bytes32 below = hash(p);
        bytes32 chain = below;
        for (uint256 i = n; i > 0; i--) {
            chain = pushValue(chain, cdU64(ptr + 8 * (i - 1)));
        }
        if (chain != p.operands) revert Mismatch("operands");
        p.operands = below;
        if (p.sp < n) revert OutOfRange("sp");
        p.sp -= n;
    }

    /// @notice Pops one operand.
    function pop1(Proof memory p) internal pure returns (uint256) {
        return cdU64(pop(p, 1));
    }

    /// @notice The operand chain `below` with `v` pushed (commit.rs `push_value`).
    function pushValue(bytes32 below, uint256 v) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            // The tag, then the u64 value, which ends where `below` starts.
            mstore(m, or(shl(248, TAG_VALUE), shl(sub(256, mul(8, add(1, VALUE_BELOW_AT))), v)))
            mstore(add(m, add(1, VALUE_BELOW_AT)), below)
            h := keccak256(m, add(1, VALUE_LEN))
        }
    }

    /// @notice Pushes `v`; returns 0 (no trap), like step.rs `push`.
    function push(Proof memory p, uint256 v) internal pure returns (uint8) {
        p.operands = pushValue(p.operands, v);
        if (p.sp >= M32) revert OutOfRange("sp");
        p.sp += 1;
        return 0;
    }
}
