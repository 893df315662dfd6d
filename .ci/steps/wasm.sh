#!/usr/bin/env bash
# Where verifiers run: the no_std core builds for wasm32-unknown-unknown without getrandom,
# and crates/keyseal-wasm (the npm package `keyseal`) is built with wasm-bindgen and tested
# under Node.js and inside Cloudflare's workerd; its demo and benchmark are run. Needs
# .ci/setup/wasm.sh (the target) and .ci/setup/wasm-bindgen.sh (the CLI); Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=wasm32-unknown-unknown
crate=crates/keyseal-wasm

echo "--- the no_std core for $target"
cargo build --no-default-features --lib --target "$target"

echo "--- getrandom is not in the no_std dependency tree"
deps() { cargo tree -e normal --target "$target" --prefix none "$@"; }
if deps --no-default-features | grep -q '^getrandom '; then
    echo "getrandom is a dependency of the no_std core on $target" >&2
    exit 1
fi
# The same query on the std build does find it, so the check above can fail.
deps | grep -q '^getrandom ' || { echo "the getrandom check finds nothing even with std" >&2; exit 1; }

# The root steps already format, lint and document crates/keyseal-wasm on the host; here
# its library is linted for the target it is for, and its wasm dependency tree checked.
echo "--- $crate: lints for $target"
cargo clippy --locked -p keyseal-wasm --lib --target "$target" -- -D warnings

echo "--- $crate: getrandom and legacy_compatibility are not in the wasm build"
wasm_tree=$(cargo tree --locked -p keyseal-wasm -e normal,features --target "$target")
if grep -q legacy_compatibility <<<"$wasm_tree"; then
    echo "ed25519-dalek's legacy_compatibility feature is enabled in $crate" >&2
    exit 1
fi
if grep -q getrandom <<<"$wasm_tree"; then
    echo "getrandom is in the dependency tree of $crate on $target" >&2
    exit 1
fi

echo "--- $crate: build the npm package"
bash "$crate/build.sh"

echo "--- $crate: tests under Node.js and workerd"
command -v node >/dev/null && command -v npm >/dev/null || {
    echo "Node.js and npm are needed to test the npm package" >&2
    exit 1
}
node --version
cd "$crate/js"
npm ci --no-audit --no-fund
node --test test/*.test.mjs

# The README's demo as it is, and the benchmark with a tiny count: both must still run (the
# figures of so short a run mean nothing; the README's come from a full run).
echo "--- $crate: the demo"
node demo.mjs
echo "--- $crate: the benchmark runs (1 round of 20)"
# (unoptimised native side: this run proves the script works, it measures nothing)
KEYSEAL_BENCH_PROFILE=dev node bench/verify.mjs 1 20
