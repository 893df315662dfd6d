//! No input makes keyseal do extra work: verifying a rejected input never takes longer than
//! verifying a valid key of the same length. Compares valid keys (typical and largest)
//! with the worst rejected inputs: too long, garbage, bad checksum, unknown signing key,
//! bad signature, and correctly signed but undecodable or expired, all at the maximum
//! length. Run with `cargo bench --bench reject`; `docs/limits.md` records the ratios.
//!
//! Each case first checks that it fails (or succeeds) the way its name says, so the
//! benchmark measures what it claims to.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark setup: a panic means the case is not what its name says"
)]

#[path = "../tests/fixture/mod.rs"]
mod fixture;
#[path = "../tests/forge/mod.rs"]
mod forge;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use keyseal::{Error, MAX_KEY_LEN, Malformed, Timestamp, Verifier};

/// A case: its name, the verifier, text and time, and whether a verdict is the expected one.
struct Case {
    name: &'static str,
    verifier: Verifier,
    text: String,
    at: Timestamp,
    expect: fn(&Result<(), Error>) -> bool,
}

fn cases() -> Vec<Case> {
    let p = fixture::LONG_PREFIX;
    let long = || fixture::verifier_for(p);
    let now = fixture::now();
    let largest = fixture::issue_at(p, &fixture::ACTIVE_SEED, fixture::max_size_request(p), now)
        .into_string();
    assert_eq!(largest.len(), MAX_KEY_LEN);
    let bytes = forge::open(p, &largest);
    let payload = forge::payload(p, &largest);
    let active = fixture::signing_key(&fixture::ACTIVE_SEED);

    // The signature is well-formed (R a curve point, S canonical) but over other bytes: one
    // payload byte changed, checksum recomputed. The costliest bad signature: the whole
    // check runs before it fails. (A corrupted R or S is refused sooner.)
    let mut bad_signature = bytes.clone();
    bad_signature[bytes.len() - 4 - 64 - 1] ^= 0x01;
    let mut bad_checksum = bytes.clone();
    let last = bad_checksum.len() - 1;
    bad_checksum[last] ^= 0x01;
    // Signed, but the payload's last byte (an extension value's) is cut off: the signature
    // verifies, then the decoder reads everything before it fails.
    let truncated = forge::signed(p, &active, &payload[..payload.len() - 1]);
    let mut rng = forge::SplitMix(9);
    let garbage = rng.bytes(keyseal::MAX_KEY_BYTES);
    let expired_at = Timestamp::from_unix(fixture::NOW + 400 * 86_400).expect("in range");

    vec![
        Case {
            name: "valid/typical",
            verifier: fixture::verifier(),
            text: fixture::issue_at(
                fixture::PREFIX,
                &fixture::ACTIVE_SEED,
                fixture::typical_request(),
                now,
            )
            .into_string(),
            at: now,
            expect: |r| r.is_ok(),
        },
        Case {
            name: "valid/largest",
            verifier: long(),
            text: largest.clone(),
            at: now,
            expect: |r| r.is_ok(),
        },
        Case {
            name: "reject/one-char-too-long",
            verifier: long(),
            text: format!("{largest}A"),
            at: now,
            expect: |r| *r == Err(Error::Malformed(Malformed::TooLong)),
        },
        Case {
            name: "reject/max-length-garbage",
            verifier: long(),
            text: "\u{7f}".repeat(MAX_KEY_LEN),
            at: now,
            expect: |r| *r == Err(Error::Malformed(Malformed::Prefix)),
        },
        Case {
            name: "reject/max-length-base64-garbage",
            verifier: long(),
            text: forge::text(p, &garbage),
            at: now,
            expect: |r| *r == Err(Error::Malformed(Malformed::Checksum)),
        },
        Case {
            name: "reject/max-length-bad-checksum",
            verifier: long(),
            text: forge::text(p, &bad_checksum),
            at: now,
            expect: |r| *r == Err(Error::Malformed(Malformed::Checksum)),
        },
        Case {
            name: "reject/max-length-unknown-key",
            verifier: long(),
            text: forge::signed(p, &fixture::signing_key(&fixture::UNKNOWN_SEED), &payload),
            at: now,
            expect: |r| matches!(r, Err(Error::UnknownKey(_))),
        },
        Case {
            name: "reject/max-length-bad-signature",
            verifier: long(),
            text: forge::reseal(p, &bad_signature),
            at: now,
            expect: |r| *r == Err(Error::BadSignature),
        },
        Case {
            name: "reject/max-length-signed-bad-payload",
            verifier: long(),
            text: truncated,
            at: now,
            expect: |r| matches!(r, Err(Error::Malformed(Malformed::Payload(_)))),
        },
        Case {
            name: "reject/max-length-expired",
            verifier: long(),
            text: largest,
            at: expired_at,
            expect: |r| matches!(r, Err(Error::Expired { .. })),
        },
    ]
}

fn reject(c: &mut Criterion) {
    for case in cases() {
        let r = case.verifier.verify_at(&case.text, case.at).map(drop);
        assert!((case.expect)(&r), "{}: {r:?}", case.name);
        c.bench_function(case.name, |b| {
            b.iter(|| case.verifier.verify_at(black_box(&case.text), case.at));
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = reject
}

/// Runs criterion, or with `KEYSEAL_REJECT_CASE="<case name> <n>"` verifies that one case
/// `n` times and nothing else, for counting instructions, which unlike time does not
/// depend on what else the machine is doing (see `docs/limits.md`):
/// `KEYSEAL_REJECT_CASE="valid/largest 20" valgrind --tool=callgrind <bench binary>`,
/// less the count for `n = 0`, over 20.
fn main() {
    if let Ok(spec) = std::env::var("KEYSEAL_REJECT_CASE") {
        let (name, n) = spec.rsplit_once(' ').expect("\"<case name> <n>\"");
        let n: usize = n.parse().expect("a count");
        let case = cases()
            .into_iter()
            .find(|c| c.name == name)
            .expect("a case of that name");
        let r = case.verifier.verify_at(&case.text, case.at).map(drop);
        assert!((case.expect)(&r), "{}: {r:?}", case.name);
        for _ in 0..n {
            let _ = black_box(case.verifier.verify_at(black_box(&case.text), case.at));
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
