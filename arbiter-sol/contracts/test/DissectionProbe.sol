// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Dissection} from "../Dissection.sol";

/// Exposes the `Dissection` library to tests, which compare it with the Rust twin.
contract DissectionProbe {
    function points(uint64 lo, uint64 hi, uint64 degree) external pure returns (uint64[] memory) {
        return Dissection.points(lo, hi, degree);
    }

    function rounds(uint64 len, uint64 degree) external pure returns (uint64) {
        return Dissection.rounds(len, degree);
    }
}
