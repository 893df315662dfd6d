#!/usr/bin/env bash
# Builds the npm package in js/: the crate for wasm32-unknown-unknown (release), then
# wasm-bindgen's ES-module glue into js/wasm/, without the name and producers sections (38 kB
# of function names that only a debugger reads). Needs the wasm32-unknown-unknown target and
# wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in the root Cargo.lock
# (.ci/setup/wasm-bindgen.sh installs both).
set -euo pipefail
cd "$(dirname "$0")"
want=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;q}' ../../Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" != "$want" ]; then
    echo "wasm-bindgen-cli $want is needed (found '${have:-none}'):" >&2
    echo "  cargo install wasm-bindgen-cli --version $want --locked" >&2
    exit 1
fi
cargo build --locked -p keyseal-wasm --lib --profile wasm-release --target wasm32-unknown-unknown
target_dir=${CARGO_TARGET_DIR:-../../target}
rm -rf js/wasm
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir js/wasm --out-name keyseal_wasm \
    "$target_dir/wasm32-unknown-unknown/wasm-release/keyseal_wasm.wasm"
echo "built js/wasm/keyseal_wasm_bg.wasm ($(wc -c < js/wasm/keyseal_wasm_bg.wasm) bytes)"
