// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import "./generated/WasmConstants.sol";
import {Regions} from "./Regions.sol";

/// @title State roots rebuilt from a region page and the rest of a state.
/// @notice The scheme of docs/dispute-protocol.md: a region (input or output) is one
/// 64 KiB page holding `[u32 LE len][bytes]`, zero padded; the page is a subtree of height
/// PAGE_TREE_HEIGHT (11) of the memory tree; PAGES_TREE_HEIGHT (16) sibling hashes lead
/// to the memory root, which with the memory's pages and limit gives the memories
/// commitment, and the STATE_PREFIX_LEN-byte (183) state prefix (every state field
/// before `memories`) gives the state root. The heights and lengths are generated from
/// the Rust constants (generated/WasmConstants.sol).
library StateRoots {
    /// The most bytes a region holds after its u32 length field.
    uint256 internal constant MAX_REGION = PAGE_SIZE - 4;

    /// The region bytes do not fit one page.
    error RegionTooLong(uint256 len);
    /// The state prefix is not STATE_PREFIX_LEN bytes starting with the state tag.
    error BadPrefix();

    /// @notice Root of the page `[u32 LE len(data)][data]`, zero padded to 64 KiB: the
    /// region root of those bytes at the page's height.
    function pageRoot(bytes calldata data) internal pure returns (bytes32) {
        if (data.length > MAX_REGION) revert RegionTooLong(data.length);
        uint256 len = data.length;
        bytes memory page = bytes.concat(
            bytes4(uint32(len & 0xff) << 24 | uint32((len >> 8) & 0xff) << 16 | uint32((len >> 16) & 0xff) << 8
                | uint32(len >> 24)),
            data
        );
        return Regions.bytesRoot(page, PAGE_TREE_HEIGHT);
    }

    /// @notice Root of a tree of height PAGES_TREE_HEIGHT over pages with `leaf` at `index`, given its
    /// sibling path bottom first.
    function pagesRoot(bytes32 leaf, uint256 index, bytes32[PAGES_TREE_HEIGHT] memory path)
        internal
        pure
        returns (bytes32 h)
    {
        h = leaf;
        for (uint256 i = 0; i < PAGES_TREE_HEIGHT; i++) {
            h = (index >> i) & 1 == 0
                ? keccak256(abi.encodePacked(h, path[i]))
                : keccak256(abi.encodePacked(path[i], h));
        }
    }

    /// @notice The state root from its STATE_PREFIX_LEN-byte prefix and its one memory.
    function stateRoot(bytes memory prefix, uint32 pages, uint32 limit, bytes32 memRoot)
        internal
        pure
        returns (bytes32)
    {
        if (prefix.length != STATE_PREFIX_LEN || uint8(prefix[0]) != TAG_STATE) revert BadPrefix();
        bytes32 memories = keccak256(abi.encodePacked(TAG_MEMORIES, pages, limit, memRoot));
        return keccak256(abi.encodePacked(prefix, memories));
    }
}
