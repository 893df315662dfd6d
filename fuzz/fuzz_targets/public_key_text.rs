//! Parse arbitrary text as each of the small text forms keyseal reads: a public key, a key
//! id, a token id, a prefix and a key state. Anything accepted is in its one canonical form:
//! it prints back as the identical text (see `keyseal_fuzz::check_small_texts`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        keyseal_fuzz::check_small_texts(text);
    }
});
