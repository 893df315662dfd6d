//! Cached verification (issue 7): a repeated key answered from the cache against a full
//! verification, both with no revocation list and with a 1,000,000-entry one. Target: a hit at
//! least 100× faster than a full verification.
//!
//! `cargo bench --features cache --bench cache`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use core::time::Duration;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keyseal::{
    CachedVerifier, Issuer, KeyState, Keyring, LiveVerifier, NewKey, Prefix, RevocationListBuilder,
    SigningKey, Timestamp, TokenId, Verifier,
};

const NOW: u64 = 1_795_000_000;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix(s).unwrap()
}

fn benches(c: &mut Criterion) {
    let signer = SigningKey::from_seed(&[1; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add(signer.public_key(), KeyState::Active).unwrap();
    let prefix = Prefix::new("acme_live").unwrap();
    let key = Issuer::new(prefix.clone(), SigningKey::from_seed(&[1; 32]).unwrap())
        .issue_at(
            NewKey::for_app("app_7f3k9x2m")
                .scopes(["orders:read", "orders:write", "customers:read"])
                .expires_in(Duration::from_secs(90 * 86_400)),
            t(NOW),
        )
        .unwrap()
        .into_string();

    let mut big = RevocationListBuilder::new();
    for i in 0..1_000_000u32 {
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
        id[4..8].copy_from_slice(&i.to_le_bytes());
        big.revoke_token(TokenId::from_bytes(id), t(NOW + 86_400));
    }
    let list = big.sign(&prefix, &signer, t(NOW)).unwrap();

    for (name, with_list) in [("no_list", false), ("1m_list", true)] {
        let mut verifier = Verifier::new(prefix.clone(), keyring.clone());
        if with_list {
            verifier = verifier.update_revocations(&list, t(NOW)).unwrap();
        }
        let cached = CachedVerifier::new(LiveVerifier::new(verifier.clone()), 10_000);
        cached.verify_at(&key, t(NOW)).unwrap();
        let mut g = c.benchmark_group(format!("cache_{name}"));
        // Interleaved: one full verification and one hit per iteration, so both run on the
        // same machine state; the separate runs below give each one's own time.
        g.bench_function("full_then_hit_pair", |b| {
            b.iter(|| {
                black_box(verifier.verify_at(black_box(&key), t(NOW)).unwrap());
                black_box(cached.verify_at(black_box(&key), t(NOW)).unwrap());
            });
        });
        g.bench_function("full", |b| {
            b.iter(|| black_box(verifier.verify_at(black_box(&key), t(NOW)).unwrap()));
        });
        g.bench_function("hit", |b| {
            b.iter(|| black_box(cached.verify_at(black_box(&key), t(NOW)).unwrap()));
        });
        g.finish();
    }
}

criterion_group!(cache, benches);
criterion_main!(cache);
