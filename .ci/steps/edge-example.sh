#!/usr/bin/env bash
# Runs the edge reload example, whose assertions check that a revocation and a keyring
# change reach a running verifier (and its cache) without a restart, and that a rollback or
# a corrupted list is refused.
set -euo pipefail
cargo run --quiet --all-features --example edge_reload >/dev/null
