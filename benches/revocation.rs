//! Revocation lists at scale (issue 3): building and signing a 1,000,000-entry list, its size
//! on the wire, load + verify + index time, memory per entry, and the lookup cost at 10, 10k
//! and 1M entries next to a full key verification.
//!
//! `cargo bench --bench revocation` (prints sizes and memory, then criterion timings).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing,
    missing_docs
)]

use core::time::Duration;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keyseal::{
    Claims, Issuer, KeyId, KeyState, Keyring, NewKey, Prefix, RevocationList,
    RevocationListBuilder, SigningKey, Timestamp, TokenId, Verifier,
};

const NOW: u64 = 1_795_000_000;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix(s).unwrap()
}

/// A deterministic stream of well-mixed 16-byte ids (SplitMix64).
fn ids(n: usize, seed: u64) -> impl Iterator<Item = TokenId> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n).map(move |_| {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&next().to_le_bytes());
        b[8..].copy_from_slice(&next().to_le_bytes());
        TokenId::from_bytes(b)
    })
}

struct Setup {
    signer: SigningKey,
    keyring: Keyring,
    prefix: Prefix,
}

fn setup() -> Setup {
    let signer = SigningKey::from_seed(&[1; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add(signer.public_key(), KeyState::Active).unwrap();
    Setup {
        signer,
        keyring,
        prefix: Prefix::new("acme_live").unwrap(),
    }
}

fn builder(n: usize) -> RevocationListBuilder {
    let mut b = RevocationListBuilder::new();
    for id in ids(n, 42) {
        b.revoke_token(id, t(NOW + 30 * 86_400));
    }
    b
}

fn list_bytes(s: &Setup, n: usize) -> Vec<u8> {
    builder(n).sign(&s.prefix, &s.signer, t(NOW)).unwrap()
}

/// Claims of keys that are not revoked, to probe lookups the way real traffic does.
fn probe_claims(s: &Setup, count: usize) -> (Vec<Claims>, KeyId, String) {
    let issuer = Issuer::new(
        s.prefix.clone(),
        SigningKey::from_seed(&s.signer.to_seed()).unwrap(),
    );
    let verifier = Verifier::new(s.prefix.clone(), s.keyring.clone());
    let mut claims = Vec::new();
    let mut last = String::new();
    for id in ids(count, 7) {
        let key = issuer
            .issue_at(
                NewKey::for_app("app_7f3k9x2m")
                    .scopes(["orders:read", "orders:write", "customers:read"])
                    .expires_in(Duration::from_secs(90 * 86_400))
                    .token_id(id),
                t(NOW),
            )
            .unwrap();
        claims.push(
            verifier
                .verify_at(key.as_str(), t(NOW))
                .unwrap()
                .claims()
                .clone(),
        );
        last = key.into_string();
    }
    (claims, s.signer.key_id(), last)
}

fn report_sizes(s: &Setup) {
    let n = 1_000_000;
    let bytes = list_bytes(s, n);
    let list = RevocationList::verify(&bytes, &s.prefix, &s.keyring, t(NOW)).unwrap();
    eprintln!(
        "revocation list, {n} token ids: {} bytes on the wire ({:.2} bytes/entry), {} bytes in memory ({:.2} bytes/entry)",
        bytes.len(),
        bytes.len() as f64 / n as f64,
        list.heap_size(),
        list.heap_size() as f64 / n as f64
    );
}

fn benches(c: &mut Criterion) {
    let s = setup();
    report_sizes(&s);

    let mut g = c.benchmark_group("revocation_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("build_and_sign", |b| {
        b.iter(|| black_box(list_bytes(&s, 1_000_000)));
    });
    let bytes = list_bytes(&s, 1_000_000);
    g.bench_function("load_verify_index", |b| {
        b.iter(|| {
            black_box(
                RevocationList::verify(black_box(&bytes), &s.prefix, &s.keyring, t(NOW)).unwrap(),
            )
        });
    });
    let verifier = Verifier::new(s.prefix.clone(), s.keyring.clone());
    g.bench_function("verifier_update", |b| {
        b.iter_batched(
            || verifier.clone(),
            |v| black_box(v.update_revocations(&bytes, t(NOW)).unwrap()),
            BatchSize::LargeInput,
        );
    });
    g.finish();

    // Lookup cost by list size, probing ids that are not listed (the common case), cycling
    // through 4096 of them so the 1M-entry directory and buckets are not all in cache.
    let (claims, kid, key) = probe_claims(&s, 4096);
    let mut g = c.benchmark_group("revocation_lookup");
    for n in [10usize, 10_000, 1_000_000] {
        let list =
            RevocationList::verify(&list_bytes(&s, n), &s.prefix, &s.keyring, t(NOW)).unwrap();
        let mut i = 0usize;
        g.bench_function(format!("miss_{n}"), |b| {
            b.iter(|| {
                i = (i + 1) & 4095;
                black_box(list.check(&claims[i], kid, t(NOW)))
            });
        });
    }
    g.finish();

    // The whole verification, without a list and with the 1M list, interleaved in one loop
    // so that both see the same machine state.
    let plain = Verifier::new(s.prefix.clone(), s.keyring.clone());
    let with_list = plain.update_revocations(&bytes, t(NOW)).unwrap();
    let mut g = c.benchmark_group("verify_with_revocation");
    g.bench_function("no_list_then_1m_list_pair", |b| {
        b.iter(|| {
            black_box(plain.verify_at(black_box(&key), t(NOW)).unwrap());
            black_box(with_list.verify_at(black_box(&key), t(NOW)).unwrap());
        });
    });
    g.bench_function("no_list", |b| {
        b.iter(|| black_box(plain.verify_at(black_box(&key), t(NOW)).unwrap()));
    });
    g.bench_function("1m_list", |b| {
        b.iter(|| black_box(with_list.verify_at(black_box(&key), t(NOW)).unwrap()));
    });
    g.finish();
}

criterion_group!(revocation, benches);
criterion_main!(revocation);
