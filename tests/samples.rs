//! Checked-in samples, and the program that writes them: the seed corpora of the fuzz
//! targets (`fuzz/seeds/`). (The JavaScript package, `crates/keyseal-wasm`, reads the vector
//! files in `tests/vectors/` directly.)
//! Every sample is built from the fixed fixture (`tests/fixture`), so this test fails when
//! a checked-in sample differs from what keyseal writes now: a change to the format must
//! update them on purpose. Regenerate with `KEYSEAL_BLESS=1 cargo test --test samples`.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "the sample builders are test code: a panic is a failed test"
)]

mod fixture;
mod forge;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keyseal::{Error, Malformed, NewKey, Timestamp, VerifiedKey};

/// What verifying a sample at the fixture's time must give.
type Expect = fn(&Result<VerifiedKey, Error>) -> bool;

/// A key, what the fixture's verifier must make of it, and whether its payload is a seed
/// for the payload decoder.
struct Sample {
    name: &'static str,
    text: String,
    expect: Expect,
    payload_seed: bool,
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).expect("in range")
}

fn samples() -> Vec<Sample> {
    let p = fixture::PREFIX;
    let active = &fixture::ACTIVE_SEED;
    let now = fixture::now();
    let day = Duration::from_secs(86_400);
    let issue = |seed, request| fixture::issue_at(p, seed, request, now).into_string();
    let typical = issue(active, fixture::typical_request());
    let bytes = forge::open(p, &typical);
    let mut bad_signature = bytes.clone();
    bad_signature[bytes.len() - 4 - 64] ^= 0x80;
    let mut bad_checksum = bytes;
    let last = bad_checksum.len() - 1;
    bad_checksum[last] ^= 1;
    let ok: Expect = |r| r.is_ok();
    vec![
        Sample {
            name: "typical",
            text: typical.clone(),
            expect: ok,
            payload_seed: true,
        },
        Sample {
            name: "minimal",
            text: issue(
                active,
                NewKey::for_app("a")
                    .expires_in(Duration::from_secs(3600))
                    .token_id(fixture::token_id(2)),
            ),
            expect: ok,
            payload_seed: true,
        },
        Sample {
            name: "extensions-not-before-wildcard",
            text: issue(
                active,
                NewKey::for_app("billing-worker.eu")
                    .scopes(["invoices:*", "customers:read"])
                    .expires_in(30 * day)
                    .not_before(now)
                    .extension("tenant", *b"t_81c2")
                    .extension("region", [0xeu8, 0x01])
                    .token_id(fixture::token_id(3)),
            ),
            expect: ok,
            payload_seed: true,
        },
        Sample {
            name: "largest",
            text: issue(active, fixture::max_size_request(p)),
            expect: ok,
            payload_seed: true,
        },
        Sample {
            name: "signed-by-verify-only-key",
            text: issue(&fixture::VERIFY_ONLY_SEED, fixture::typical_request()),
            expect: ok,
            payload_seed: false,
        },
        Sample {
            name: "signed-by-retired-key",
            text: issue(&fixture::RETIRED_SEED, fixture::typical_request()),
            expect: |r| matches!(r, Err(Error::RetiredKey(_))),
            payload_seed: false,
        },
        Sample {
            name: "signed-by-unknown-key",
            text: issue(&fixture::UNKNOWN_SEED, fixture::typical_request()),
            expect: |r| matches!(r, Err(Error::UnknownKey(_))),
            payload_seed: false,
        },
        Sample {
            name: "other-prefix",
            text: fixture::issue_at("acme_test", active, fixture::typical_request(), now)
                .into_string(),
            expect: |r| matches!(r, Err(Error::WrongPrefix)),
            payload_seed: false,
        },
        Sample {
            name: "expired",
            text: fixture::issue_at(
                p,
                active,
                fixture::typical_request().expires_in(day),
                at(fixture::NOW - 2 * 86_400),
            )
            .into_string(),
            expect: |r| matches!(r, Err(Error::Expired { .. })),
            payload_seed: true,
        },
        Sample {
            name: "not-yet-valid",
            text: issue(
                active,
                fixture::typical_request().not_before(at(fixture::NOW + 86_400)),
            ),
            expect: |r| matches!(r, Err(Error::NotYetValid { .. })),
            payload_seed: true,
        },
        Sample {
            name: "bad-signature",
            text: forge::reseal(p, &bad_signature),
            expect: |r| matches!(r, Err(Error::BadSignature)),
            payload_seed: false,
        },
        Sample {
            name: "bad-checksum",
            text: forge::text(p, &bad_checksum),
            expect: |r| matches!(r, Err(Error::Malformed(Malformed::Checksum))),
            payload_seed: false,
        },
    ]
}

/// Every checked-in file this program writes, relative to the crate root.
fn golden_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for s in samples() {
        files.push((
            Path::new("fuzz/seeds/key_text").join(format!("{}.txt", s.name)),
            s.text.clone().into_bytes(),
        ));
        if s.payload_seed {
            files.push((
                Path::new("fuzz/seeds/payload_roundtrip").join(format!("{}.bin", s.name)),
                forge::payload(fixture::PREFIX, &s.text),
            ));
        }
    }
    let seeds = [
        ("active", fixture::ACTIVE_SEED),
        ("verify-only", fixture::VERIFY_ONLY_SEED),
        ("retired", fixture::RETIRED_SEED),
        ("unknown", fixture::UNKNOWN_SEED),
    ];
    for (name, seed) in seeds {
        let key = fixture::signing_key(&seed).public_key();
        let dir = Path::new("fuzz/seeds/public_key_text");
        files.push((
            dir.join(format!("public-key-{name}.txt")),
            key.to_string().into_bytes(),
        ));
        files.push((
            dir.join(format!("key-id-{name}.txt")),
            key.key_id().to_string().into_bytes(),
        ));
    }
    for (name, text) in [
        ("token-id", fixture::token_id(1).to_string()),
        ("prefix", fixture::PREFIX.to_string()),
        ("prefix-longest", fixture::LONG_PREFIX.to_string()),
        ("state", keyseal::KeyState::VerifyOnly.to_string()),
    ] {
        files.push((
            Path::new("fuzz/seeds/public_key_text").join(format!("{name}.txt")),
            text.into_bytes(),
        ));
    }
    files
}

#[test]
fn samples_verify_as_their_names_say() {
    let verifier = fixture::verifier();
    for s in samples() {
        let r = verifier.verify_at(&s.text, fixture::now());
        assert!((s.expect)(&r), "{}: {r:?}", s.name);
    }
}

#[test]
fn checked_in_samples_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("KEYSEAL_BLESS").is_some();
    let files = golden_files();
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let full = root.join(path);
        if bless {
            std::fs::create_dir_all(full.parent().expect("a folder")).expect("create folder");
            std::fs::write(&full, contents).expect("write sample");
        } else if std::fs::read(&full).ok().as_ref() != Some(contents) {
            stale.push(path.display().to_string());
        }
    }
    // No sample is left behind that this program no longer writes.
    let written: BTreeSet<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    for dir in [
        "fuzz/seeds/key_text",
        "fuzz/seeds/payload_roundtrip",
        "fuzz/seeds/public_key_text",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).expect("sample folder") {
            let path = Path::new(dir).join(entry.expect("entry").file_name());
            if !written.contains(&path) {
                stale.push(format!("{} (no longer written)", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "samples differ from what keyseal writes now: {stale:?}; \
         regenerate with KEYSEAL_BLESS=1 cargo test --test samples"
    );
}
