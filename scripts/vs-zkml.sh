#!/usr/bin/env bash
# opML against zkML (EZKL), measured side by side on the same models on this machine:
# exports the committed Fashion-MNIST MLP and CNN and a tiny random LLaMA to ONNX from
# the same float weights opml compiles, runs EZKL's whole pipeline on each (settings,
# calibration, compile, local SRS, keys, witness, prove, verify, its Solidity verifier
# deployed and called in an EVM), runs the opML side with the release `opml` (native
# inference, submit/finalize gas, a whole dispute with a real fault), checks the
# fidelity of both on the same inputs, and prints one table. See docs/vs-zkml.md.
#
#   bash scripts/vs-zkml.sh [--models mlp,cnn,llama] [--time-bound S] [--mem-bound MB]
#                           [--fidelity N] [--llama-ctx T] [--llama-windows N]
#
# --time-bound: seconds EZKL's pipeline may take per model (default 1800);
# --mem-bound: MB of resident memory one EZKL stage may use (default 12000). A model
# that passes a bound is reported with the stage and the bound, not skipped.
# Everything it installs goes to target/vs-zkml/venv (PyPI, pinned); numbers and
# artifacts to target/vs-zkml/run/ (results.json holds every number).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh # Rust, Fashion-MNIST, arbiter-sol's node_modules (solc-js, Hardhat)
sudo_=$([ "$(id -u)" = 0 ] || echo sudo)
if ! python3 -c "import ensurepip" 2>/dev/null; then
    $sudo_ apt-get install -y python3-venv
fi
if [ ! -x /usr/bin/time ]; then # GNU time measures each stage's peak memory
    $sudo_ apt-get install -y time
fi
venv=target/vs-zkml/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
    ezkl==23.0.5 onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 safetensors==0.8.0 gguf==0.17.1

cargo build --release -q --bin opml
opml=${CARGO_TARGET_DIR:-target}/release/opml
exec "$venv/bin/python" scripts/vs-zkml/main.py --opml "$opml" "$@"
