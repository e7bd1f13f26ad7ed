#!/usr/bin/env bash
# Peak resident memory (GNU time's "Maximum resident set size") of the cases of
# docs/performance.md, with the release `opml`:
#   1. `opml prove` on a 5-step module declaring (memory 65536);
#   2. `opml root` over one `memory.grow 65535`;
#   3. `opml root --interval 1` on the ML guest (Fashion-MNIST MLP, test image 0).
# Usage: bash scripts/rss.sh   (needs /usr/bin/time: apt-get install time)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p opml --bin opml
OPML=${CARGO_TARGET_DIR:-target}/release/opml
D=/usr/share/datasets/fashion-mnist
rss() {
  local name=$1; shift
  local kb
  kb=$( { /usr/bin/time -v "$OPML" "$@" >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
  awk -v n="$name" -v kb="$kb" 'BEGIN { printf "%-40s %8.1f MB\n", n, kb / 1024 }'
}
rss "prove, (memory 65536), 5 steps" prove tests/data/memory65536.wat --step 2
rss "root, one memory.grow 65535" root tests/data/grow65535.wat --step 3
rss "root --interval 1, ML guest" root --model guest-ml/models/fmnist-mlp.opml \
  --input $D/t10k-images-idx3-ubyte.gz --index 0 --step 1000000 --interval 1
