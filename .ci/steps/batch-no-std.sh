#!/usr/bin/env bash
# Batch verification needs only alloc: keep it building without std.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --no-default-features --features batch --lib
