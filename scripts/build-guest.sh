#!/usr/bin/env bash
# Builds the Wasm guest (guest-ml/guest) for wasm32v1-none and writes OUT_DIR/guest.wasm.
#
#   bash scripts/build-guest.sh [OUT_DIR]      (default OUT_DIR: <repo>/target/guest)
#   bash scripts/build-guest.sh --clippy       (lint the guest crate with the same
#                                               toolchain, warnings as errors; no output)
#
# Toolchain, chosen in this order:
#   1. a rustup toolchain that has the wasm32v1-none target installed: plain
#      `cargo build --release --target wasm32v1-none` (links with its bundled rust-lld);
#   2. Debian's rustc-web (/usr/bin/rustc) + rust-web-src + wasm-ld-19, which builds
#      core/alloc from source: RUSTC_BOOTSTRAP=1 ... -Zbuild-std=core,alloc (and
#      rust-web-clippy's /usr/bin/cargo-clippy for --clippy).
# scripts/setup.sh installs the second. This script never installs anything.
#
# Environment:
#   GUEST_TARGET_DIR  cargo target dir for the guest build
#                     (default: ${CARGO_TARGET_DIR:-<repo>/target}/guest-build)
#
# The output depends only on the sources and the toolchain: RUSTFLAGS is set here (not
# inherited) and remaps the checkout path, so the bytes do not depend on where the repo
# or the target dir lives.
set -euo pipefail

die() {
    echo "build-guest: error: $*" >&2
    exit 1
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
guest_dir="$root/guest-ml/guest"
target=wasm32v1-none

clippy=false
if [[ ${1:-} == --clippy ]]; then
    clippy=true
    shift
fi
out_dir=${1:-$root/target/guest}
target_dir=${GUEST_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/guest-build}

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup), then run scripts/setup.sh"

# Which toolchain? A rustup toolchain with the target wins (checked from the guest dir,
# so a rust-toolchain file or override there is honoured).
toolchain=""
if command -v rustup >/dev/null &&
    (cd "$guest_dir" && rustup target list --installed 2>/dev/null) | grep -qx "$target"; then
    toolchain=rustup
elif [[ -x /usr/bin/rustc ]] && /usr/bin/rustc --print target-list 2>/dev/null | grep -qx "$target"; then
    [[ -d /usr/lib/rustlib/src/rust/library ]] ||
        die "Debian's rustc has no library sources (package rust-web-src): run scripts/setup.sh"
    command -v wasm-ld-19 >/dev/null ||
        die "wasm-ld-19 not found (package lld-19): run scripts/setup.sh"
    toolchain=debian
else
    die "no Rust toolchain for $target found (neither a rustup toolchain with the target nor Debian's rustc-web): run scripts/setup.sh"
fi

unset CARGO_ENCODED_RUSTFLAGS
export RUSTFLAGS="--remap-path-prefix=$root=/opml-wasm"
export CARGO_TARGET_DIR="$target_dir"

cargo=(cargo build)
case $toolchain in
rustup)
    echo "build-guest: toolchain: rustup $(cd "$guest_dir" && rustc --version)"
    $clippy && cargo=(cargo clippy)
    ;;
debian)
    echo "build-guest: toolchain: Debian $(/usr/bin/rustc --version), linker wasm-ld-19, -Zbuild-std=core,alloc"
    export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32V1_NONE_LINKER=wasm-ld-19
    if $clippy; then
        [[ -x /usr/bin/cargo-clippy ]] ||
            die "/usr/bin/cargo-clippy not found (package rust-web-clippy): run scripts/setup.sh"
        # Debian's cargo-clippy drives the cargo on PATH with Debian's clippy-driver.
        cargo=(/usr/bin/cargo-clippy clippy)
    fi
    ;;
esac
cargo_args=(--release --locked --target "$target" --manifest-path "$guest_dir/Cargo.toml")
[[ $toolchain == debian ]] && cargo_args+=(-Zbuild-std=core,alloc)

if $clippy; then
    (cd "$guest_dir" && "${cargo[@]}" "${cargo_args[@]}" -- -D warnings) ||
        die "clippy found problems in $guest_dir (see above)"
    echo "build-guest: clippy: no warnings"
    exit 0
fi

start=$SECONDS
(cd "$guest_dir" && "${cargo[@]}" "${cargo_args[@]}") || die "cargo build of $guest_dir failed (see above)"

built="$target_dir/$target/release/opml_guest.wasm"
[[ -f $built ]] || die "cargo succeeded but $built is missing"

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
cp "$built" "$out_dir/guest.wasm.tmp"
mv -f "$out_dir/guest.wasm.tmp" "$out_dir/guest.wasm"
size=$(wc -c <"$out_dir/guest.wasm")
sum=$(sha256sum "$out_dir/guest.wasm" | cut -d' ' -f1)
echo "build-guest: wrote $out_dir/guest.wasm ($size bytes, sha256 $sum) in $((SECONDS - start)) s"
