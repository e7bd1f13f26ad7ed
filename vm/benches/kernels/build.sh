#!/usr/bin/env bash
# Compiles this crate for wasm32v1-none and writes ../kernels.wat (committed, so the
# benches need no Wasm toolchain). Same toolchain choice as scripts/build-guest.sh
# (Debian's rustc-web with -Zbuild-std=core here); needs wabt's wasm2wat.
#
#   bash vm/benches/kernels/build.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
export CARGO_TARGET_DIR=${KERNELS_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/bench-kernels}
export RUSTFLAGS="--remap-path-prefix=$root=/opml-wasm"
if rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none; then
    (cd "$here" && cargo build --release --target wasm32v1-none)
else
    export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32V1_NONE_LINKER=wasm-ld-19
    (cd "$here" && cargo build --release --target wasm32v1-none -Zbuild-std=core)
fi
wasm=$CARGO_TARGET_DIR/wasm32v1-none/release/opml_bench_kernels.wasm
{
    echo ";; The guest's integer kernels (vm/benches/kernels/src/lib.rs) as LLVM compiles"
    echo ";; them for wasm32v1-none; regenerate with: bash vm/benches/kernels/build.sh"
    echo ";; Exports, each fn(reps: i32) -> i32: gemv_i8_run, q4_matmul, q8_matmul."
    wasm2wat "$wasm"
} >"$here/../kernels.wat"
echo "wrote $here/../kernels.wat"
