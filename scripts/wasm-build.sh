#!/usr/bin/env bash
# Builds the browser replica (crates/wasm) for wasm32 and writes the phone app's module into
# target/wasm-pkg/ (rapport_wasm.js and rapport_wasm_bg.wasm), where `rapport serve` finds it
# for /app/ (or set RAPPORT_APP_PKG to another folder). Run scripts/wasm-toolchain.sh first.
# The native build never runs this: without it, /app/ says how to build the module.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${RAPPORT_WASM_TOOLS:-$PWD/target/wasm-tools}"
out="${RAPPORT_APP_PKG:-$PWD/target/wasm-pkg}"

# Debian's web toolchain, by full path (rustup's cargo comes first on PATH and has no wasm32
# std), with std rebuilt from source. Unwinding panics (`panic_unwind` and wasm exceptions) so
# that rapport_model::guarded catches a panic in Automerge instead of trapping the instance.
# Its own target folder, so it never invalidates the native build's.
export CARGO_TARGET_DIR="$PWD/target/wasm"
export RUSTC_BOOTSTRAP=1
export RUSTC=/usr/bin/rustc
export RUSTFLAGS="-Cpanic=unwind -Ctarget-feature=+exception-handling"
# No line tables in the module (the native release profile keeps them for backtraces).
export CARGO_PROFILE_RELEASE_DEBUG=false
start=$(date +%s)
/usr/bin/cargo build --locked --release -p rapport-wasm \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_unwind
built="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/rapport_wasm.wasm"
mkdir -p "$out"
# No wasm-opt: Debian's binaryen (108) rewrites the module's exception handling wrongly (even
# a plain round trip made every call throw a WebAssembly.Exception); -O2 would take 3.3 MB to
# 2.26 MB. The name section goes instead.
"$tools/bin/wasm-bindgen" --target web --no-typescript --remove-name-section \
    --remove-producers-section --out-dir "$out" "$built"
echo "wasm build: $out in $(( $(date +%s) - start )) s; rapport_wasm_bg.wasm $(stat -c %s "$out/rapport_wasm_bg.wasm") bytes"
