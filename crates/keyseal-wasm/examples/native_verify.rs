//! The native baseline of `js/bench/verify.mjs`: verifies the `standard` key of the root
//! `tests/vectors/keys.json` (at the case's time, with the vectors' keyring) ITERATIONS
//! times and prints the mean nanoseconds per verification, by the wall clock and by this
//! thread's CPU time (`WALL_NS CPU_NS`). Run in release mode:
//! `cargo run --release --example native_verify -- [ITERATIONS]`.
// serde_json's `Value` indexing never panics (a missing member is `Null`).
#![allow(clippy::print_stdout, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Instant;

use cpu_time::ThreadTime;

use keyseal::{KeyState, Keyring, Prefix, PublicKey, Timestamp, Verifier};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/keys.json");

fn hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: u32 = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS)?)?;
    let mut keyring = Keyring::new();
    for k in doc["keyring"].as_array().ok_or("no keyring")? {
        let bytes = hex(k["public_key"].as_str().ok_or("no public key")?).ok_or("bad hex")?;
        let state: KeyState = k["state"].as_str().ok_or("no state")?.parse()?;
        keyring.add(PublicKey::from_bytes(&bytes)?, state)?;
    }
    let verifier = Verifier::new(
        Prefix::new(doc["prefix"].as_str().ok_or("no prefix")?)?,
        keyring,
    );
    let standard = doc["cases"]
        .as_array()
        .ok_or("no cases")?
        .iter()
        .find(|c| c["name"] == "standard")
        .ok_or("no standard case")?;
    let key = standard["key"].as_str().ok_or("no key")?;
    let now = Timestamp::from_unix(standard["now"].as_u64().ok_or("no now")?).ok_or("bad now")?;
    verifier.verify_at(key, now)?;
    let start = Instant::now();
    let cpu_start = ThreadTime::now();
    for _ in 0..iterations {
        black_box(verifier.verify_at(black_box(key), now)?);
    }
    let cpu = cpu_start.elapsed().as_nanos();
    let wall = start.elapsed().as_nanos();
    let per = u128::from(iterations.max(1));
    println!("{} {}", wall / per, cpu / per);
    Ok(())
}
