#!/usr/bin/env bash
# Fuzzes every target for longer than CI does, one after the other, at low priority:
#   fuzz/run-long.sh [SECONDS_PER_TARGET]      (default 3600)
# Each target is one libFuzzer process (one job, one worker), resuming from the corpus
# earlier runs left in fuzz/corpus/. Prints, and appends to fuzz/target/long-runs.tsv, one
# line per target: date, target, seconds, executions, crashes. Stops at the first crash,
# whose input is then in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source fuzz/common.sh

seconds="${1:-3600}"
fuzz_install
nice -n 10 bash -c 'source fuzz/common.sh && fuzz_build'
fuzz_vector_seeds
mkdir -p fuzz/target
for target in $(fuzz_targets); do
    log=fuzz/target/long-$target.log
    start=$(date +%s)
    if ! nice -n 10 bash -c "source fuzz/common.sh && fuzz_run $target $seconds" >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$(($(date +%s) - start))" \
            "?" "1" | tee -a fuzz/target/long-runs.tsv
        echo "fuzz target $target crashed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$(($(date +%s) - start))" \
        "${execs:-?}" 0 | tee -a fuzz/target/long-runs.tsv
done
