#!/usr/bin/env bash
# Peer benchmarks (pasetors, jsonwebtoken, biscuit-auth): a standalone package outside the
# library's dependency graph. CI only builds them, so they never rot; run them with
#   cargo bench --manifest-path benches/peers/Cargo.toml
# From clean on the shared 2-core machine (load ~5): the optimised build took 634 s wall
# (431 CPU-s); `cargo check --benches` 220 s wall (143 CPU-s). CI type-checks them (enough to
# keep them compiling within the CI budget); PEERS_FULL_BUILD=1 builds them optimised.
set -euo pipefail
cd "$(dirname "$0")/../.."
manifest=benches/peers/Cargo.toml
cargo fmt --manifest-path "$manifest" --check
if [ "${PEERS_FULL_BUILD:-0}" = 1 ]; then
    cargo bench --no-run --locked --manifest-path "$manifest"
else
    cargo check --benches --locked --manifest-path "$manifest"
fi
