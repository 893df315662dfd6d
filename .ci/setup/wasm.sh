#!/usr/bin/env bash
# The WebAssembly target for .ci/steps/wasm.sh (a no-op when it is already installed).
set -euo pipefail
rustup target add wasm32-unknown-unknown
