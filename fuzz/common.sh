# Shared by .ci/steps/fuzz.sh (every target, briefly) and fuzz/run-long.sh (every target,
# for longer). Source it from the repository root.
#
# Every target that `cargo fuzz list` names is built and run: a new target in
# fuzz/Cargo.toml (with its seeds in fuzz/seeds/<target>/, if any) needs no change here.

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address and friends). The stable
# toolchain accepts them with RUSTC_BOOTSTRAP=1, so neither CI nor a developer needs nightly.
export RUSTC_BOOTSTRAP=1

fuzz_install() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "cargo-fuzz is missing: installing it"
        # A debug build: cargo-fuzz only drives cargo and libFuzzer, and it installs in a
        # fraction of the time of an optimised build.
        cargo install cargo-fuzz --locked --debug
    fi
}

fuzz_targets() {
    cargo fuzz list --fuzz-dir fuzz
}

# Build options, the same for `cargo fuzz build` and `cargo fuzz run` (which rebuilds when
# they differ): cargo-fuzz's defaults (release, debug assertions, AddressSanitizer) in 16
# codegen units rather than 1, so that CI's build on two cores takes less of its budget.
FUZZ_BUILD_FLAGS=(--fuzz-dir fuzz --codegen-units 16)

fuzz_build() {
    cargo fuzz build "${FUZZ_BUILD_FLAGS[@]}" "$@"
}

# Seeds for key_text from the test vectors, whatever their file format: every string
# shaped like a keyseal key (`prefix_A...`), one per file.
fuzz_vector_seeds() {
    local out=fuzz/target/vector-seeds
    rm -rf "$out" && mkdir -p "$out"
    [ -d tests/vectors ] || return 0
    local n=0
    while IFS= read -r key; do
        n=$((n + 1))
        printf '%s' "$key" >"$out/vector-$n"
    done < <(grep -rhoE '[a-z][a-z0-9_]{0,31}_A[A-Za-z0-9_-]{40,}' tests/vectors | sort -u)
    echo "$n keys from tests/vectors as seeds for key_text" >&2
}

# fuzz_run TARGET SECONDS: fuzzes TARGET for SECONDS from its corpus (fuzz/corpus/TARGET,
# kept between runs, not checked in) and its checked-in seeds. Prints libFuzzer's final
# statistics; a crash makes cargo fuzz exit non-zero and leaves the input in
# fuzz/artifacts/TARGET/.
fuzz_run() {
    local target=$1 seconds=$2
    local corpus=fuzz/corpus/$target
    local dirs=("$corpus")
    mkdir -p "$corpus"
    [ -d "fuzz/seeds/$target" ] && dirs+=("fuzz/seeds/$target")
    if [ "$target" = key_text ] && [ -n "$(ls -A fuzz/target/vector-seeds 2>/dev/null)" ]; then
        dirs+=(fuzz/target/vector-seeds)
    fi
    local extra=()
    case $target in
        # Its input is decoded by `arbitrary` into claims and edits: let it be long from the
        # start, rather than growing slowly from a few bytes.
        issue_mutate) extra=(-len_control=0 -max_len=4096) ;;
    esac
    cargo fuzz run "${FUZZ_BUILD_FLAGS[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${extra[@]}"
}
