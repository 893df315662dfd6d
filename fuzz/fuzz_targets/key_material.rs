//! Feed arbitrary bytes to every key importer (PKCS#8 and SPKI as PEM and DER, JWK, compact
//! text forms): nothing panics and everything accepted round-trips (see
//! `keyseal_fuzz::check_key_material`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyseal_fuzz::check_key_material(data);
});
