#!/usr/bin/env bash
# Fuzzing in CI: build every fuzz target and run each from its seeds for a short fixed time
# (FUZZ_SECONDS, 30 by default), as many targets at once as there are cores (each libFuzzer
# process uses one); any crash fails the step. Longer runs: fuzz/run-long.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../../fuzz/common.sh
source fuzz/common.sh

seconds="${FUZZ_SECONDS:-30}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
fuzz_install
fuzz_build
fuzz_vector_seeds

# fuzz_one TARGET: runs it, prints its summary, and fails with the end of its log on a crash.
fuzz_one() {
    local target=$1 log=fuzz/target/fuzz-$1.log
    if ! fuzz_run "$target" "$seconds" >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        return 1
    fi
    echo "--- $target, $seconds s"
    grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|INFO: seed corpus)' "$log"
}

mapfile -t targets < <(fuzz_targets)
failed=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
    pids=()
    for target in "${targets[@]:i:jobs}"; do
        fuzz_one "$target" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=1
    done
    [ "$failed" = 0 ] || exit 1
done
