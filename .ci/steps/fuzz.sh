#!/usr/bin/env bash
# Fuzzing in CI: build every fuzz target and run each from its seeds for a short fixed time
# (FUZZ_SECONDS, 15 by default); any crash fails the step. Longer runs: fuzz/run-long.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../../fuzz/common.sh
source fuzz/common.sh

seconds="${FUZZ_SECONDS:-15}"
fuzz_install
fuzz_build
fuzz_vector_seeds
for target in $(fuzz_targets); do
    echo "--- fuzzing $target for $seconds s"
    log=fuzz/target/fuzz-$target.log
    if ! fuzz_run "$target" "$seconds" >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|INFO: seed corpus)' "$log"
done
