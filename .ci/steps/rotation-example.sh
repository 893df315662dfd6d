#!/usr/bin/env bash
# Runs the key rotation example, whose assertions check each step the README describes.
set -euo pipefail
cargo run --quiet --all-features --example rotation >/dev/null
