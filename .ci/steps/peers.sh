#!/usr/bin/env bash
# Peer benchmarks (pasetors, jsonwebtoken, biscuit-auth): a standalone package outside the
# library's dependency graph. CI only builds them, so they never rot; run them with
#   cargo bench --manifest-path benches/peers/Cargo.toml
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo fmt --manifest-path benches/peers/Cargo.toml --check
cargo bench --no-run --locked --manifest-path benches/peers/Cargo.toml
