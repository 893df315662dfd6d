//! Reading the public Ed25519 vector files in `tests/vectors/ed25519/` (provenance in its
//! README), for the tests that run them through keyseal's checks.

use serde_json::Value;

/// The JSON document `tests/vectors/ed25519/<name>`.
pub fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/ed25519/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

/// The bytes of a hex string member.
pub fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}
