// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Regions} from "../Regions.sol";

/// Exposes the `Regions` library to tests, which compare it with the Rust twin.
contract RegionsProbe {
    function bytesRoot(bytes memory data, uint256 height) external pure returns (bytes32) {
        return Regions.bytesRoot(data, height);
    }

    function compose(Regions.Part[] memory parts) external pure returns (bytes32) {
        return Regions.compose(parts);
    }

    function memoryRoot(Regions.Part memory part, bytes32[] memory path) external pure returns (bytes32) {
        return Regions.memoryRoot(part, path);
    }
}
