#!/usr/bin/env bash
# The LLaMA-7B-shape measurement of issue 15 (docs/performance.md, "Two-phase disputes"):
# a random 7B-shaped Q4_0 GGUF generated from a seed (never committed), compiled to an
# LLM image, and a one-token request disputed in two phases with a real fault at a
# random node, on the embedded chain. Prints each step's wall time and peak memory.
#
#   bash scripts/two-phase-7b.sh [--seed N] [--keep DIR]
#
# Needs about 8 GB of free disk (the GGUF and the image, removed at the end unless
# --keep) and 12 GB of memory; builds the release binary first.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seed=7
keep=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --seed) seed=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "two-phase-7b: unknown argument $1" >&2; exit 2 ;;
    esac
done
work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/opml-7b.XXXXXX")}
mkdir -p "$work"
if [[ -z $keep ]]; then
    trap 'rm -rf "$work"' EXIT
fi

cargo build --release -q -p opml
opml=$root/target/release/opml
measure() {
    local what=$1
    shift
    /usr/bin/time -f "$what: %e s wall, peak RSS %M KB" "$@"
}
measure "generate the 7B-shaped GGUF" "$opml" synth-gguf --shape llama-7b --seed "$seed" --out "$work/llama-7b.gguf"
measure "compile it" "$opml" compile-model --from gguf "$work/llama-7b.gguf" --out "$work/llama-7b.opml" --max-ctx 16
measure "the two-phase dispute" "$opml" demo --phases 2 --model "$work/llama-7b.opml" \
    --tokenizer "$work/llama-7b.gguf" --prompt "the" --max-tokens 1
