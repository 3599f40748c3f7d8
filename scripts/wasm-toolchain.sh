#!/usr/bin/env bash
# Installs what the browser replica (crates/wasm) needs to build, and nothing the native build
# needs: Debian's web Rust toolchain (rustc 1.96 with the wasm32 target's std as source, which
# rustup cannot fetch here), the linker it points to, and wasm-bindgen-cli
# at exactly the version of the `wasm-bindgen` crate in Cargo.lock (the CLI refuses a module
# made by another version). Idempotent: each step is skipped when already done.
# Used by .ci/run and by developers; then run scripts/wasm-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where wasm-bindgen-cli goes: a folder of this checkout, so CI caches it with target/.
tools="${RAPPORT_WASM_TOOLS:-$PWD/target/wasm-tools}"

# Not binaryen: Debian's wasm-opt (108) breaks the module's exception handling (wasm-build.sh).
apt_packages=(rustc-web cargo-web rust-web-src lld-22)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "wasm toolchain: install these Debian packages (as root): ${missing[*]}" >&2
        exit 1
    fi
    echo "wasm toolchain: installing ${missing[*]}"
    # The package lists may be absent or stale on a fresh machine; update once, then install.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi

# The version Cargo.lock pins (the line after `name = "wasm-bindgen"`).
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
    echo "wasm toolchain: Cargo.lock has no wasm-bindgen crate; is crates/wasm in the workspace?" >&2
    exit 1
fi
have=$("$tools/bin/wasm-bindgen" --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
    echo "wasm toolchain: installing wasm-bindgen-cli $want into $tools"
    # Without --locked: the CLI's own lockfile names a crate version the registry no longer has.
    # --debug: on a clean CI clone the release build of the CLI cost three times the debug one
    # (974 s against 308 s, measured side by side on a loaded machine), and the debug CLI
    # takes 14 s instead of 3 s on the module, with byte-identical output.
    cargo install --quiet --debug --root "$tools" wasm-bindgen-cli --version "=$want"
fi
echo "wasm toolchain: ready (rustc-web $(/usr/bin/rustc --version | awk '{ print $2 }'), wasm-bindgen $want)"
