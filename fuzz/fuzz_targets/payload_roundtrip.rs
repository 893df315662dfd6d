//! Decode a payload from arbitrary bytes: anything accepted re-encodes to the identical
//! bytes, and is what the issuer writes for those claims (see
//! `keyseal_fuzz::check_payload`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyseal_fuzz::check_payload(data);
});
