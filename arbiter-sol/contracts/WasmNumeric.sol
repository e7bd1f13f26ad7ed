// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {ProofReader} from "./ProofReader.sol";

/// @title Integer semantics of the Wasm numeric instructions (vm/src/numeric.rs).
/// @notice Values are raw u64 bits: i32 in the low 32 bits (inputs are masked, results
/// zero-extended), i64 in all 64. `trap` is a committed trap code, 0 when none. Every
/// op is chosen by its generated `OP_*` name; i32 and i64 share one body per operation
/// at width `w`, as `int_ops!` in numeric.rs does, and each group lists its ops in
/// table order. An opcode no group takes reverts `UnknownOpcode`.
library WasmNumeric {
    uint256 private constant M32 = 0xffffffff;
    uint256 private constant M64 = 0xffffffffffffffff;

    /// @notice Executes numeric op `op` with operands `a` (deeper) and `b` (top; unary
    /// ops use `a` only).
    function numeric(uint8 op, uint256 a, uint256 b) internal pure returns (uint8 trap, uint256 r) {
        if (op >= OP_I32_CLZ && op <= OP_I32_ROTR) return _int(op, a & M32, b & M32, 32);
        if (op >= OP_I64_CLZ && op <= OP_I64_ROTR) return _int(op, a, b, 64);
        if (op >= OP_I32_EQZ && op <= OP_I32_GE_U) return (0, _compare(op, a & M32, b & M32, 32));
        if (op >= OP_I64_EQZ && op <= OP_I64_GE_U) return (0, _compare(op, a, b, 64));
        return (0, _convert(op, a));
    }

    /// eqz eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u at width `w` on masked operands.
    function _compare(uint8 op, uint256 a, uint256 b, uint256 w) private pure returns (uint256) {
        int256 sa = _signed(a, w);
        int256 sb = _signed(b, w);
        bool r;
        if (op == OP_I32_EQZ || op == OP_I64_EQZ) r = a == 0;
        else if (op == OP_I32_EQ || op == OP_I64_EQ) r = a == b;
        else if (op == OP_I32_NE || op == OP_I64_NE) r = a != b;
        else if (op == OP_I32_LT_S || op == OP_I64_LT_S) r = sa < sb;
        else if (op == OP_I32_LT_U || op == OP_I64_LT_U) r = a < b;
        else if (op == OP_I32_GT_S || op == OP_I64_GT_S) r = sa > sb;
        else if (op == OP_I32_GT_U || op == OP_I64_GT_U) r = a > b;
        else if (op == OP_I32_LE_S || op == OP_I64_LE_S) r = sa <= sb;
        else if (op == OP_I32_LE_U || op == OP_I64_LE_U) r = a <= b;
        else if (op == OP_I32_GE_S || op == OP_I64_GE_S) r = sa >= sb;
        else if (op == OP_I32_GE_U || op == OP_I64_GE_U) r = a >= b;
        else revert ProofReader.UnknownOpcode(op);
        return r ? 1 : 0;
    }

    /// clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u
    /// rotl rotr at width `w` (32 or 64) on masked operands.
    function _int(uint8 op, uint256 a, uint256 b, uint256 w) private pure returns (uint8, uint256) {
        uint256 mask = (1 << w) - 1;
        uint256 s = b & (w - 1);
        if (op == OP_I32_CLZ || op == OP_I64_CLZ) {
            uint256 n = 0;
            while (n < w && (a >> (w - 1 - n)) & 1 == 0) n++;
            return (0, n);
        }
        if (op == OP_I32_CTZ || op == OP_I64_CTZ) {
            uint256 n = 0;
            while (n < w && (a >> n) & 1 == 0) n++;
            return (0, n);
        }
        if (op == OP_I32_POPCNT || op == OP_I64_POPCNT) {
            uint256 n = 0;
            for (; a != 0; a &= a - 1) n++;
            return (0, n);
        }
        if (op == OP_I32_ADD || op == OP_I64_ADD) return (0, (a + b) & mask);
        if (op == OP_I32_SUB || op == OP_I64_SUB) return (0, (a + (mask + 1) - b) & mask);
        if (op == OP_I32_MUL || op == OP_I64_MUL) return (0, (a * b) & mask);
        if (
            op == OP_I32_DIV_S || op == OP_I64_DIV_S || op == OP_I32_DIV_U || op == OP_I64_DIV_U
                || op == OP_I32_REM_S || op == OP_I64_REM_S || op == OP_I32_REM_U || op == OP_I64_REM_U
        ) return _div(op, a, b, w);
        if (op == OP_I32_AND || op == OP_I64_AND) return (0, a & b);
        if (op == OP_I32_OR || op == OP_I64_OR) return (0, a | b);
        if (op == OP_I32_XOR || op == OP_I64_XOR) return (0, a ^ b);
        if (op == OP_I32_SHL || op == OP_I64_SHL) return (0, (a << s) & mask);
        if (op == OP_I32_SHR_S || op == OP_I64_SHR_S) {
            // Arithmetic shift: fill with the sign bit.
            uint256 fill = (a >> (w - 1)) == 1 ? (mask ^ (mask >> s)) : 0;
            return (0, (a >> s) | fill);
        }
        if (op == OP_I32_SHR_U || op == OP_I64_SHR_U) return (0, a >> s);
        if (op == OP_I32_ROTL || op == OP_I64_ROTL) return (0, ((a << s) | (a >> (w - s))) & mask);
        if (op == OP_I32_ROTR || op == OP_I64_ROTR) return (0, ((a >> s) | (a << (w - s))) & mask);
        revert ProofReader.UnknownOpcode(op);
    }

    /// div_s div_u rem_s rem_u at width `w`.
    function _div(uint8 op, uint256 a, uint256 b, uint256 w) private pure returns (uint8, uint256) {
        if (b == 0) return (TRAP_DIVISION_BY_ZERO, 0);
        uint256 mask = (1 << w) - 1;
        int256 sa = _signed(a, w);
        int256 sb = _signed(b, w);
        if (op == OP_I32_DIV_S || op == OP_I64_DIV_S) {
            if (sb == -1 && sa == -int256(1 << (w - 1))) return (TRAP_INTEGER_OVERFLOW, 0);
            return (0, uint256(sa / sb) & mask);
        }
        if (op == OP_I32_DIV_U || op == OP_I64_DIV_U) return (0, a / b);
        if (op == OP_I32_REM_S || op == OP_I64_REM_S) return (0, uint256(sa % sb) & mask);
        if (op == OP_I32_REM_U || op == OP_I64_REM_U) return (0, a % b);
        revert ProofReader.UnknownOpcode(op);
    }

    function _signed(uint256 v, uint256 w) private pure returns (int256) {
        return w == 32 ? int256(int32(uint32(v))) : int256(int64(uint64(v)));
    }

    /// The integer conversions of the table: wrap, extend, sign extension.
    function _convert(uint8 op, uint256 a) private pure returns (uint256) {
        if (op == OP_I32_WRAP_I64) return a & M32;
        if (op == OP_I64_EXTEND_I32_S) return uint256(int256(int32(uint32(a)))) & M64;
        if (op == OP_I64_EXTEND_I32_U) return a & M32;
        if (op == OP_I32_EXTEND8_S) return uint256(int256(int8(uint8(a)))) & M32;
        if (op == OP_I32_EXTEND16_S) return uint256(int256(int16(uint16(a)))) & M32;
        if (op == OP_I64_EXTEND8_S) return uint256(int256(int8(uint8(a)))) & M64;
        if (op == OP_I64_EXTEND16_S) return uint256(int256(int16(uint16(a)))) & M64;
        if (op == OP_I64_EXTEND32_S) return uint256(int256(int32(uint32(a)))) & M64;
        revert ProofReader.UnknownOpcode(op);
    }
}
