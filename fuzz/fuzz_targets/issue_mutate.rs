//! Issue a key from fuzzer-chosen valid claims, mutate it, and require that any mutation
//! that still verifies is byte-identical to the original (see
//! `keyseal_fuzz::check_mutations`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: keyseal_fuzz::IssueAndMutate| {
    keyseal_fuzz::check_mutations(&input);
});
