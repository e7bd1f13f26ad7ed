// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";

/// @title Integer semantics of the Wasm numeric instructions (vm/src/numeric.rs).
/// @notice Values are raw u64 bits: i32 in the low 32 bits (inputs are masked, results
/// zero-extended), i64 in all 64. `trap` is a committed trap code, 0 when none.
library WasmNumeric {
    uint256 private constant M32 = 0xffffffff;
    uint256 private constant M64 = 0xffffffffffffffff;

    /// @notice Executes numeric op `op` with operands `a` (deeper) and `b` (top; unary
    /// ops use `a` only).
    function exec(uint8 op, uint256 a, uint256 b) internal pure returns (uint8 trap, uint256 r) {
        if (op <= OP_I64_GE_U) {
            return (0, _compare(op, a, b));
        }
        if (op >= OP_I32_CLZ && op <= OP_I32_ROTR) {
            return _arith(op - OP_I32_CLZ, a & M32, b & M32, 32);
        }
        if (op >= OP_I64_CLZ && op <= OP_I64_ROTR) {
            return _arith(op - OP_I64_CLZ, a, b, 64);
        }
        return (0, _convert(op, a));
    }

    function _compare(uint8 op, uint256 a, uint256 b) private pure returns (uint256) {
        bool r;
        if (op <= OP_I32_GE_U) {
            (a, b) = (a & M32, b & M32);
            if (op == OP_I32_EQZ) return a == 0 ? 1 : 0;
            return _cmp(op - OP_I32_EQ, a, b, int256(int32(uint32(a))), int256(int32(uint32(b))))
                ? 1
                : 0;
        }
        if (op == OP_I64_EQZ) return a == 0 ? 1 : 0;
        r = _cmp(op - OP_I64_EQ, a, b, int256(int64(uint64(a))), int256(int64(uint64(b))));
        return r ? 1 : 0;
    }

    /// eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u, in table order.
    function _cmp(uint8 k, uint256 a, uint256 b, int256 sa, int256 sb) private pure returns (bool) {
        if (k == 0) return a == b;
        if (k == 1) return a != b;
        if (k == 2) return sa < sb;
        if (k == 3) return a < b;
        if (k == 4) return sa > sb;
        if (k == 5) return a > b;
        if (k == 6) return sa <= sb;
        if (k == 7) return a <= b;
        if (k == 8) return sa >= sb;
        return a >= b;
    }

    /// clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u
    /// rotl rotr, in table order, at width `w` (32 or 64) on masked operands.
    function _arith(uint8 k, uint256 a, uint256 b, uint256 w) private pure returns (uint8, uint256) {
        uint256 mask = (1 << w) - 1;
        if (k == 0) {
            uint256 n = 0;
            while (n < w && (a >> (w - 1 - n)) & 1 == 0) n++;
            return (0, n);
        }
        if (k == 1) {
            uint256 n = 0;
            while (n < w && (a >> n) & 1 == 0) n++;
            return (0, n);
        }
        if (k == 2) {
            uint256 n = 0;
            for (; a != 0; a &= a - 1) n++;
            return (0, n);
        }
        if (k == 3) return (0, (a + b) & mask);
        if (k == 4) return (0, (a + (mask + 1) - b) & mask);
        if (k == 5) return (0, (a * b) & mask);
        if (k >= 6 && k <= 9) return _div(k, a, b, w);
        if (k == 10) return (0, a & b);
        if (k == 11) return (0, a | b);
        if (k == 12) return (0, a ^ b);
        uint256 s = b & (w - 1);
        if (k == 13) return (0, (a << s) & mask);
        if (k == 14) {
            // Arithmetic shift: fill with the sign bit.
            uint256 fill = (a >> (w - 1)) == 1 ? (mask ^ (mask >> s)) : 0;
            return (0, (a >> s) | fill);
        }
        if (k == 15) return (0, a >> s);
        if (k == 16) return (0, ((a << s) | (a >> (w - s))) & mask);
        return (0, ((a >> s) | (a << (w - s))) & mask);
    }

    /// div_s div_u rem_s rem_u.
    function _div(uint8 k, uint256 a, uint256 b, uint256 w) private pure returns (uint8, uint256) {
        if (b == 0) return (TRAP_DIVISION_BY_ZERO, 0);
        uint256 mask = (1 << w) - 1;
        if (k == 7) return (0, a / b);
        if (k == 9) return (0, a % b);
        int256 sa = _signed(a, w);
        int256 sb = _signed(b, w);
        if (k == 6) {
            if (sb == -1 && sa == -int256(1 << (w - 1))) return (TRAP_INTEGER_OVERFLOW, 0);
            return (0, uint256(sa / sb) & mask);
        }
        return (0, uint256(sa % sb) & mask);
    }

    function _signed(uint256 v, uint256 w) private pure returns (int256) {
        return w == 32 ? int256(int32(uint32(v))) : int256(int64(uint64(v)));
    }

    /// wrap, extend and sign-extension ops (the int conversions of the table).
    function _convert(uint8 op, uint256 a) private pure returns (uint256) {
        if (op == OP_I32_WRAP_I64 || op == OP_I64_EXTEND_I32_U) return a & M32;
        if (op == OP_I64_EXTEND_I32_S || op == OP_I64_EXTEND32_S) {
            return uint256(int256(int32(uint32(a)))) & M64;
        }
        if (op == OP_I32_EXTEND8_S) return uint256(int256(int8(uint8(a)))) & M32;
        if (op == OP_I32_EXTEND16_S) return uint256(int256(int16(uint16(a)))) & M32;
        if (op == OP_I64_EXTEND8_S) return uint256(int256(int8(uint8(a)))) & M64;
        return uint256(int256(int16(uint16(a)))) & M64;
    }
}
