// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";

/// @title Aligned regions of the memory tree: a tensor's root, and a memory composed
/// from tensor roots.
/// @notice The same code as `vm/src/commit/region.rs`, read side by side. A region of
/// height h is 2^h leaves of LEAF_SIZE bytes starting at a leaf index that is a multiple
/// of 2^h; its root is a node of the memory tree. A memory whose only non-zero bytes lie
/// in such regions has a root that depends on the regions' roots alone (`compose`), so
/// the start state of a graph node's Wasm run is derived on chain from the roots of its
/// tensors.
library Regions {
    /// An aligned region and its root: the subtree of height `height` at position
    /// `index` among the subtrees of that height.
    struct Part {
        uint32 height;
        uint64 index;
        bytes32 root;
    }

    /// The height is above the memory tree's.
    error Height(uint256 height);
    /// More bytes than the region holds.
    error TooLong(uint256 len, uint256 height);
    /// Two regions are not disjoint and in address order.
    error Overlap(uint256 end, uint256 next);
    /// A sibling path has the wrong length for its tree.
    error PathLength(uint256 got, uint256 want);

    /// @notice Root of an all-zero subtree of height `h`.
    function zeroHash(uint256 h) internal pure returns (bytes32 z) {
        for (uint256 i = 0; i < h; i++) {
            z = keccak256(abi.encodePacked(z, z));
        }
    }

    /// @notice First byte address of a region.
    function addr(Part memory p) internal pure returns (uint256) {
        return uint256(p.index) * (LEAF_SIZE << p.height);
    }

    /// @notice The root of a region of height `height` holding `data` from its start,
    /// zero after. Hashes the leaves holding data; the rest of each level is a zero
    /// subtree.
    function bytesRoot(bytes memory data, uint256 height) internal pure returns (bytes32) {
        if (height > MEMORY_TREE_HEIGHT) revert Height(height);
        if (data.length > LEAF_SIZE << height) revert TooLong(data.length, height);
        uint256 n = (data.length + LEAF_SIZE - 1) / LEAF_SIZE;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            bytes32 w;
            assembly ("memory-safe") {
                w := mload(add(add(data, 32), mul(i, 32)))
            }
            uint256 tail = data.length - i * LEAF_SIZE;
            if (tail < LEAF_SIZE) {
                // Keep only the bytes of the data: the rest of the last leaf is zero.
                w &= bytes32(type(uint256).max << (8 * (LEAF_SIZE - tail)));
            }
            level[i] = w;
        }
        bytes32 z;
        for (uint256 h = 0; h < height; h++) {
            if (n == 0) return zeroHash(height);
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                bytes32 right = 2 * i + 1 < n ? level[2 * i + 1] : z;
                level[i] = keccak256(abi.encodePacked(level[2 * i], right));
            }
            n = m;
            z = keccak256(abi.encodePacked(z, z));
        }
        return n == 0 ? z : level[0];
    }

    /// @notice The root of the memory tree in which `parts` hold their roots and every
    /// other byte is zero. Parts must be disjoint and in address order.
    /// @dev Level by level from the leaves: every node at the current height is hashed
    /// with its sibling when the next part is that sibling, else with the zero subtree;
    /// parts of greater height wait for their level. At most one hash per part per level.
    function compose(Part[] memory parts) internal pure returns (bytes32) {
        for (uint256 i = 0; i + 1 < parts.length; i++) {
            uint256 end = addr(parts[i]) + (LEAF_SIZE << parts[i].height);
            if (end > addr(parts[i + 1])) revert Overlap(end, addr(parts[i + 1]));
        }
        for (uint256 i = 0; i < parts.length; i++) {
            if (parts[i].height > MEMORY_TREE_HEIGHT) revert Height(parts[i].height);
        }
        Part[] memory nodes = parts;
        uint256 len = parts.length;
        bytes32 zero;
        for (uint32 h = 0; h < MEMORY_TREE_HEIGHT; h++) {
            Part[] memory up = new Part[](len);
            uint256 upLen = 0;
            for (uint256 i = 0; i < len; i++) {
                Part memory p = nodes[i];
                if (p.height != h) {
                    up[upLen++] = p;
                    continue;
                }
                bool siblingNext = i + 1 < len && p.index % 2 == 0 && nodes[i + 1].height == h
                    && nodes[i + 1].index == p.index + 1;
                bytes32 parent;
                if (siblingNext) {
                    i++;
                    parent = keccak256(abi.encodePacked(p.root, nodes[i].root));
                } else if (p.index % 2 == 0) {
                    parent = keccak256(abi.encodePacked(p.root, zero));
                } else {
                    parent = keccak256(abi.encodePacked(zero, p.root));
                }
                up[upLen++] = Part(h + 1, p.index / 2, parent);
            }
            nodes = up;
            len = upLen;
            zero = keccak256(abi.encodePacked(zero, zero));
        }
        return len == 0 ? zero : nodes[0].root;
    }

    /// @notice The root of the tree in which `leaf` sits at `index` with sibling path
    /// `path` (bottom first); the tree's height above the leaf is the path's length.
    function fold(bytes32 leaf, uint256 index, bytes32[] memory path) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i = 0; i < path.length; i++) {
            h = (index >> i) & 1 == 0
                ? keccak256(abi.encodePacked(h, path[i]))
                : keccak256(abi.encodePacked(path[i], h));
        }
    }

    /// @notice The memory root from a region's root and its sibling path, which must
    /// reach exactly the memory tree's height.
    function memoryRoot(Part memory p, bytes32[] memory path) internal pure returns (bytes32) {
        if (p.height > MEMORY_TREE_HEIGHT) revert Height(p.height);
        if (path.length + p.height != MEMORY_TREE_HEIGHT) {
            revert PathLength(path.length, MEMORY_TREE_HEIGHT - p.height);
        }
        return fold(p.root, p.index, path);
    }
}
