//! Parse and verify a key from arbitrary text, with the fixture's keyring and time: no
//! input panics, and the parser and the verifier agree (see `keyseal_fuzz::check_text`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        keyseal_fuzz::check_text(text);
    }
});
