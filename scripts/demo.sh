#!/usr/bin/env bash
# The main job: set up, build the Wasm guest, and run it with the opml CLI.
#
#   bash scripts/demo.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build-guest.sh target/guest
echo "demo: opml run target/guest/guest.wasm --invoke run"
cargo run --release -q -p opml-prover --bin opml -- run target/guest/guest.wasm --invoke run
