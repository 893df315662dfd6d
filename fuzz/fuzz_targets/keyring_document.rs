//! Parse a keyring document from arbitrary text: whatever is accepted prints back as a
//! document that loads as the same keyring (see `keyseal_fuzz::check_keyring_document`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        keyseal_fuzz::check_keyring_document(text);
    }
});
