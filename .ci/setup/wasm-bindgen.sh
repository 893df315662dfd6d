#!/usr/bin/env bash
# wasm-bindgen-cli for .ci/steps/wasm.sh, from crates.io, at exactly the version of the
# wasm-bindgen crate in the root Cargo.lock (the two must match; crates/keyseal-wasm pins it with `=`). Skipped when
# that version is already installed; building it takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
lock=Cargo.lock
want=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;q}' "$lock")
[ -n "$want" ] || { echo "no wasm-bindgen in $lock" >&2; exit 1; }
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" = "$want" ]; then
    echo "wasm-bindgen-cli $want is installed"
    exit 0
fi
# A debug build installs in a fraction of the time and processes our ~250 kB module in
# seconds; the glue it writes does not depend on how the tool itself was compiled.
cargo install wasm-bindgen-cli --version "$want" --locked --debug
