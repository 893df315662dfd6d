//! Decode a revocation list payload from arbitrary bytes, alone and inside a correctly signed
//! list: accepted payloads are canonical, and signing does not change the verdict (see
//! `keyseal_fuzz::check_revocation_list`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyseal_fuzz::check_revocation_list(data);
});
