#!/usr/bin/env bash
# Where verifiers run: the no_std core builds for wasm32-unknown-unknown without getrandom,
# and wasm/ (a cdylib over it) verifies checked-in keys under Node.js.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=wasm32-unknown-unknown

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

echo "--- wasm/: legacy_compatibility is never enabled"
if cargo tree -e features --manifest-path wasm/Cargo.toml --target "$target" | grep -q legacy_compatibility; then
    echo "ed25519-dalek's legacy_compatibility feature is enabled in wasm/" >&2
    exit 1
fi

echo "--- wasm/: build"
cargo fmt --check --manifest-path wasm/Cargo.toml
cargo build --manifest-path wasm/Cargo.toml --release --target "$target"

echo "--- wasm/: verify under Node.js"
if ! command -v node >/dev/null 2>&1; then
    echo "Node.js is missing: installing Debian's nodejs"
    (apt-get update -qq && apt-get install -y -qq nodejs) >/dev/null 2>&1 || true
fi
if ! command -v node >/dev/null 2>&1; then
    echo "Node.js is not available: the wasm build is checked, but not run" >&2
    exit 0
fi
node --version
node --test wasm/verify.test.mjs
