#!/usr/bin/env bash
# Runs every test of opml-wasm on a fresh machine: set-up first (scripts/setup.sh), then
# the whole Rust workspace's tests. The guest and Solidity tests build what they need
# (the Wasm guest via scripts/build-guest.sh, the contracts via arbiter-sol/compile.mjs)
# themselves.
#
#   bash scripts/test.sh [extra cargo test arguments...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
echo "test: cargo test --workspace $*"
cargo test --workspace "$@"
