//! keyseal against bare ed25519-dalek on the standard workload (issue, verify, reject a
//! tampered key), how verification scales with scopes and keyring size, batch against
//! one-by-one verification (feature `batch`), and one thread against two.
//!
//! ```text
//! cargo bench --bench verify --all-features              # criterion, then the ratio table
//! cargo bench --bench verify --all-features -- ratios    # the ratio table alone (~1 min)
//! ```
//!
//! Criterion gives absolute times. The ratio table is what the targets are about: each pair
//! is timed in alternating chunks (A, B, B, A, ...) so that machine load hits both sides
//! alike, at several stack depths (the ed25519-dalek AVX2 path moves 10–30% with stack
//! placement), and the median of all rounds is printed with its range.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use std::hint::black_box;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{BenchmarkId, Criterion, Throughput};
use ed25519_dalek::{Signature, Signer};
#[path = "support/ratio.rs"]
mod ratio;

use keyseal::{Issuer, KeyState, Keyring, NewKey, Prefix, SigningKey, Timestamp, Verifier};
use ratio::{Clock, print_header, print_row, ratio};

const PREFIX: &str = "acme_live";
const APP_ID: &str = "app_7f3k9x2m";
const SCOPES: [&str; 3] = ["orders:read", "orders:write", "customers:read"];
const LIFETIME: Duration = Duration::from_secs(90 * 86_400);
/// `"keyseal/key" 0x00 len(prefix) prefix`, the head of every signed message (FORMAT.md).
const MESSAGE_CONTEXT: &[u8] = b"keyseal/key\0";

/// The standard workload: one signing key in the keyring, one issued key, and the same
/// signed message and signature as bare ed25519-dalek values.
struct Workload {
    issuer: Issuer,
    verifier: Verifier,
    now: Timestamp,
    key: String,
    tampered: String,
    dalek_signing: ed25519_dalek::SigningKey,
    dalek_verifying: ed25519_dalek::VerifyingKey,
    message: Vec<u8>,
    signature: Signature,
    tampered_signature: Signature,
}

fn signing_key(n: u32) -> SigningKey {
    let mut seed = [0x5e; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    SigningKey::from_seed(&seed).unwrap()
}

fn standard_request() -> NewKey {
    NewKey::for_app(APP_ID).scopes(SCOPES).expires_in(LIFETIME)
}

/// Splits key text into the signed message, the signature and the checksum (FORMAT.md:
/// `bytes = version key_id payload signature(64) crc32(4)`).
fn signed_parts(text: &str) -> (Vec<u8>, [u8; 64]) {
    let body = text
        .strip_prefix(PREFIX)
        .unwrap()
        .strip_prefix('_')
        .unwrap();
    let bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
    let (signed, rest) = bytes.split_at(bytes.len() - 68);
    let mut message = MESSAGE_CONTEXT.to_vec();
    message.push(PREFIX.len() as u8);
    message.extend_from_slice(PREFIX.as_bytes());
    message.extend_from_slice(signed);
    (message, rest[..64].try_into().unwrap())
}

/// The key text with signature byte `i` flipped in its lowest bit and the checksum fixed,
/// so that the change reaches the signature check.
fn flip_signature_bit(text: &str, i: usize) -> String {
    let body = text
        .strip_prefix(PREFIX)
        .unwrap()
        .strip_prefix('_')
        .unwrap();
    let mut bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
    let n = bytes.len();
    bytes[n - 68 + i] ^= 1;
    let mut crc = crc32fast::Hasher::new();
    crc.update(PREFIX.as_bytes());
    crc.update(b"_");
    crc.update(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.finalize().to_be_bytes());
    format!("{PREFIX}_{}", Base64UrlUnpadded::encode_string(&bytes))
}

impl Workload {
    fn new() -> Workload {
        Workload::with_keyring_size(1)
    }

    /// A keyring of `n` keys; the signing key is the middle one.
    fn with_keyring_size(n: u32) -> Workload {
        let prefix = Prefix::new(PREFIX).unwrap();
        let mut keyring = Keyring::new();
        for i in 0..n {
            keyring
                .add(signing_key(i).public_key(), KeyState::VerifyOnly)
                .unwrap();
        }
        let signer = signing_key(n / 2);
        let seed = signer.to_seed();
        keyring.promote(signer.key_id()).unwrap();
        let issuer = Issuer::new(prefix.clone(), signer);
        let verifier = Verifier::new(prefix, keyring);
        let now = Timestamp::now();
        let key = issuer
            .issue_at(standard_request(), now)
            .unwrap()
            .into_string();
        // Byte 32 is the low byte of s: s stays canonical and the full equation runs.
        let tampered = flip_signature_bit(&key, 32);
        let (message, signature) = signed_parts(&key);
        let (_, tampered_signature) = signed_parts(&tampered);
        let dalek_signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let dalek_verifying = dalek_signing.verifying_key();
        Workload {
            issuer,
            verifier,
            now,
            key,
            tampered,
            dalek_signing,
            dalek_verifying,
            message,
            signature: Signature::from_bytes(&signature),
            tampered_signature: Signature::from_bytes(&tampered_signature),
        }
    }

    fn keyseal_issue(&self) -> String {
        self.issuer
            .issue_at(standard_request(), self.now)
            .unwrap()
            .into_string()
    }

    fn bare_sign(&self) -> Signature {
        self.dalek_signing.sign(&self.message)
    }

    /// Parse, signature, expiry and scope check.
    fn keyseal_verify(&self, text: &str) -> bool {
        self.verifier
            .verify_at(text, self.now)
            .and_then(|k| k.require_scope("orders:read"))
            .is_ok()
    }

    fn bare_verify(&self, signature: &Signature) -> bool {
        self.dalek_verifying
            .verify_strict(&self.message, signature)
            .is_ok()
    }
}

/// The non-signature half of verification: parse, checksum and payload decoding.
fn parse_and_decode(text: &str) -> bool {
    keyseal::UntrustedKey::parse(text)
        .and_then(|k| k.untrusted_claims())
        .is_ok()
}

/// A key with `n` scopes, `orders:read` among them, and a verifier for it.
fn with_scopes(n: usize) -> (Verifier, String, Timestamp) {
    let w = Workload::new();
    let mut scopes = vec![String::from("orders:read")];
    scopes.extend((1..n).map(|i| format!("resource{i:02}:read")));
    let key = w
        .issuer
        .issue_at(
            NewKey::for_app(APP_ID).scopes(scopes).expires_in(LIFETIME),
            w.now,
        )
        .unwrap()
        .into_string();
    (w.verifier, key, w.now)
}

/// 64 keys of the standard workload from one signer, for batch verification.
fn batch_keys(w: &Workload, n: usize) -> Vec<String> {
    (0..n).map(|_| w.keyseal_issue()).collect()
}

fn verify_each(w: &Workload, texts: &[&str]) -> usize {
    texts.iter().filter(|t| w.keyseal_verify(t)).count()
}

#[cfg(feature = "batch")]
fn verify_batch(w: &Workload, texts: &[&str]) -> usize {
    w.verifier
        .verify_batch_at(texts, w.now)
        .into_iter()
        .filter(|r| r.as_ref().is_ok_and(|k| k.has_scope("orders:read")))
        .count()
}

/// Verifies `texts` on `threads` threads sharing one verifier, each taking its share.
fn verify_on_threads(w: &Workload, texts: &[&str], threads: usize) -> usize {
    let share = texts.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(share)
            .map(|chunk| s.spawn(move || verify_each(w, chunk)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// A fixed amount of pure arithmetic (about 10 ms), split over `threads` threads.
fn spin_on_threads(threads: u64) -> u64 {
    let share = 20_000_000 / threads;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (0..share).fold(t, |x, i| {
                        black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i))
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .fold(0, |acc, h| acc ^ h.join().unwrap())
    })
}

// ---------------------------------------------------------------------------------------
// Criterion: absolute times
// ---------------------------------------------------------------------------------------

fn criterion_benches(c: &mut Criterion) {
    let w = Workload::new();
    assert!(w.keyseal_verify(&w.key) && w.bare_verify(&w.signature));
    assert!(!w.keyseal_verify(&w.tampered) && !w.bare_verify(&w.tampered_signature));

    let mut g = c.benchmark_group("issue");
    g.bench_function("keyseal", |b| b.iter(|| w.keyseal_issue()));
    g.bench_function("bare_sign", |b| b.iter(|| w.bare_sign()));
    g.finish();

    let mut g = c.benchmark_group("verify");
    g.bench_function("keyseal", |b| {
        b.iter(|| w.keyseal_verify(black_box(&w.key)))
    });
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| w.bare_verify(black_box(&w.signature)));
    });
    g.finish();

    let mut g = c.benchmark_group("overhead");
    g.bench_function("parse_and_decode", |b| {
        b.iter(|| parse_and_decode(black_box(&w.key)))
    });
    g.finish();

    let mut g = c.benchmark_group("reject_tampered");
    g.bench_function("keyseal", |b| {
        b.iter(|| w.keyseal_verify(black_box(&w.tampered)));
    });
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| w.bare_verify(black_box(&w.tampered_signature)));
    });
    g.finish();

    let mut g = c.benchmark_group("verify_scopes");
    for n in [1, 2, 4, 8, 16, 32] {
        let (verifier, key, now) = with_scopes(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &key, |b, key| {
            b.iter(|| {
                verifier
                    .verify_at(black_box(key), now)
                    .and_then(|k| k.require_scope("orders:read"))
                    .is_ok()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("verify_keyring");
    for n in [1, 10, 100, 1000] {
        let w = Workload::with_keyring_size(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &w.key, |b, key| {
            b.iter(|| w.keyseal_verify(black_box(key)));
        });
    }
    g.finish();

    let keys = batch_keys(&w, 64);
    let texts: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("verify_64_keys");
    g.throughput(Throughput::Elements(64));
    g.bench_function("one_by_one", |b| {
        b.iter(|| verify_each(&w, black_box(&texts)))
    });
    #[cfg(feature = "batch")]
    g.bench_function("batch", |b| b.iter(|| verify_batch(&w, black_box(&texts))));
    g.finish();

    let keys = batch_keys(&w, 200);
    let texts: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("verify_200_keys_threads");
    g.throughput(Throughput::Elements(200));
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::from_parameter(threads), &threads, |b, &t| {
            b.iter(|| verify_on_threads(&w, black_box(&texts), t));
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------
// Ratio table: interleaved rounds at several stack depths (see support/ratio.rs)
// ---------------------------------------------------------------------------------------

fn ratio_table() {
    let w = Workload::new();
    println!();
    print_header();

    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            black_box(w.keyseal_verify(black_box(&w.key)));
        },
        &mut || {
            black_box(w.bare_verify(black_box(&w.signature)));
        },
    );
    print_row("verify: keyseal / bare verify_strict", "<= 1.03", &r);

    // Everything keyseal does besides the signature (parse, checksum, decode, claims):
    // a steadier estimate of `verify ratio - 1` than the ratio itself on a busy machine.
    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            black_box(parse_and_decode(black_box(&w.key)));
        },
        &mut || {
            black_box(w.bare_verify(black_box(&w.signature)));
        },
    );
    print_row(
        "  of which parse + decode / bare verify_strict",
        "~0.0x",
        &r,
    );

    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            black_box(w.keyseal_issue());
        },
        &mut || {
            black_box(w.bare_sign());
        },
    );
    print_row("issue: keyseal / bare sign", "<= 1.05", &r);

    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            black_box(w.keyseal_verify(black_box(&w.tampered)));
        },
        &mut || {
            black_box(w.bare_verify(black_box(&w.tampered_signature)));
        },
    );
    print_row("reject tampered: keyseal / bare verify_strict", "", &r);

    let (v1, k1, now) = with_scopes(1);
    let (v32, k32, _) = with_scopes(32);
    let verify_scoped = |v: &Verifier, k: &str| {
        black_box(
            v.verify_at(black_box(k), now)
                .and_then(|k| k.require_scope("orders:read"))
                .is_ok(),
        );
    };
    let r = ratio(
        Clock::ThreadCpu,
        &mut || verify_scoped(&v32, &k32),
        &mut || {
            verify_scoped(&v1, &k1);
        },
    );
    print_row("scopes: verify 32 scopes / 1 scope", "flat", &r);
    // The key is 3.5 times longer, so hashing and decoding grow: against bare verify_strict
    // over the same longer message, keyseal's share should stay where it is for 3 scopes.
    let (message, signature) = signed_parts(&k32);
    let signature = Signature::from_bytes(&signature);
    let r = ratio(
        Clock::ThreadCpu,
        &mut || verify_scoped(&v32, &k32),
        &mut || {
            black_box(
                w.dalek_verifying
                    .verify_strict(&message, &signature)
                    .is_ok(),
            );
        },
    );
    print_row("  32 scopes: keyseal / bare verify_strict", "", &r);

    let big = Workload::with_keyring_size(1000);
    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            black_box(big.keyseal_verify(black_box(&big.key)));
        },
        &mut || {
            black_box(w.keyseal_verify(black_box(&w.key)));
        },
    );
    print_row("keyring: verify 1000 keys / 1 key", "flat", &r);

    // What a key's precomputed multiples cost once, at Keyring::add, against one verification
    // they then make cheaper (README Performance, docs/limits.md).
    let public_key = signing_key(0).public_key();
    let r = ratio(
        Clock::ThreadCpu,
        &mut || {
            let mut keyring = Keyring::new();
            keyring.add(public_key, KeyState::VerifyOnly).unwrap();
            black_box(keyring);
        },
        &mut || {
            black_box(w.bare_verify(black_box(&w.signature)));
        },
    );
    print_row("keyring: add 1 key / bare verify_strict", "once", &r);

    #[cfg(feature = "batch")]
    {
        let keys = batch_keys(&w, 64);
        let texts: Vec<&str> = keys.iter().map(String::as_str).collect();
        let r = ratio(
            Clock::ThreadCpu,
            &mut || {
                black_box(verify_each(&w, black_box(&texts)));
            },
            &mut || {
                black_box(verify_batch(&w, black_box(&texts)));
            },
        );
        print_row("batch speed-up: 64 one by one / batch of 64", ">= 1.8", &r);
    }
    #[cfg(not(feature = "batch"))]
    println!("batch: not measured (run with --features batch)");

    let keys = batch_keys(&w, 200);
    let texts: Vec<&str> = keys.iter().map(String::as_str).collect();
    let r = ratio(
        Clock::Wall,
        &mut || {
            black_box(verify_on_threads(&w, black_box(&texts), 1));
        },
        &mut || {
            black_box(verify_on_threads(&w, black_box(&texts), 2));
        },
    );
    print_row(
        "threads speed-up: 200 keys on 1 / on 2 threads",
        ">= 1.8",
        &r,
    );
    let threads = r;
    // Control: what this machine gives two threads right now, on pure arithmetic.
    let r = ratio(
        Clock::Wall,
        &mut || {
            black_box(spin_on_threads(1));
        },
        &mut || {
            black_box(spin_on_threads(2));
        },
    );
    print_row("  control: arithmetic on 1 / on 2 threads", "~2", &r);
    println!(
        "  threads speed-up relative to the control: {:.2} (1.00 = keyseal scales like pure \
         arithmetic)",
        threads.median / r.median
    );
    println!(
        "(machine: {} hardware threads; if the control is well below 2, other processes hold \
         the cores and the thread row says nothing about keyseal)",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
}

fn main() {
    let mode = ratio::mode();
    if mode.criterion {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_benches(&mut c);
        c.final_summary();
    }
    if mode.table {
        ratio_table();
    }
}
