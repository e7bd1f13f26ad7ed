#!/usr/bin/env bash
# The main job: set up, build the Wasm guest, run one Fashion-MNIST inference in the
# step machine with the opml CLI and benchmark it, then play the dispute (a submitter
# lying from the middle of the inference, an honest challenger) on the embedded chain
# and on a Hardhat 2 node.
#
#   bash scripts/demo.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build-guest.sh target/guest
cmp -s target/guest/guest.wasm guest-ml/guest.wasm ||
    echo "demo: note: the fresh build differs from the committed guest-ml/guest.wasm (opml embeds the committed one)"
cargo build --release -q -p opml --bin opml
opml=target/release/opml
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
model=guest-ml/models/fmnist-mlp.opml
echo "demo: opml infer --model $model --input $images --index 0 --engine step"
"$opml" infer --model "$model" --input "$images" --index 0 --engine step
echo "demo: opml bench --model $model --input $images --index 0"
"$opml" bench --model "$model" --input "$images" --index 0
echo "demo: opml demo --model $model --input $images --index 0   (the dispute, embedded chain)"
"$opml" demo --model "$model" --input "$images" --index 0 --state-dir target/demo-state

# The same story against a real node: opml starts a Hardhat 2 node on a free port of
# 127.0.0.1 and stops it at the end.
echo "demo: opml demo --hardhat   (the dispute, Hardhat node)"
"$opml" demo --model "$model" --input "$images" --index 0 --state-dir target/demo-state-rpc --hardhat
