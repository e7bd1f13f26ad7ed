// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title The arithmetic of n-way dissection, shared by every level of the game.
/// @notice A disputed range `[lo, hi]` of positions (Wasm steps, or graph nodes) is cut
/// into `min(hi - lo, degree)` segments of equal length (up to rounding). Its Rust twin
/// is `opml_game::dissection`; `tests/tests/dissection.rs` checks they agree.
library Dissection {
    /// @notice The points that cut `[lo, hi]`: `lo`, the inner points, `hi`.
    function points(uint64 lo, uint64 hi, uint64 degree) internal pure returns (uint64[] memory p) {
        uint64 len = hi - lo;
        uint64 k = len < degree ? len : degree;
        p = new uint64[](k + 1);
        for (uint64 i = 0; i <= k; i++) {
            p[i] = lo + uint64((uint256(len) * i) / k);
        }
    }

    /// @notice Dissection rounds until a range of `len` positions is down to one.
    function rounds(uint64 len, uint64 degree) internal pure returns (uint64 r) {
        while (len > 1) {
            uint64 k = len < degree ? len : degree;
            // The longest segment after one cut: ceil(len / k), without overflowing.
            len = len / k + (len % k == 0 ? 0 : 1);
            r++;
        }
    }
}
