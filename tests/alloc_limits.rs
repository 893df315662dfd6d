//! Memory bounds, measured with a counting global allocator: verifying any input up to
//! `MAX_KEY_LEN` allocates at most a small fixed bound (nothing at all unless the signature
//! verifies), and no decoder allocates more than a small multiple of its input. The bounds
//! are documented in `docs/limits.md`; the constants below are the same numbers.
//!
//! This file is its own test binary, so its global allocator counts only these tests. It
//! counts per thread, and only inside [`measure`], so tests running in parallel threads do
//! not see each other's allocations.
//!
//! A global allocator is an `unsafe impl GlobalAlloc`: the library forbids `unsafe` in
//! `lib.rs`, and the crate's `[lints]` deny it in every target, so this one test file allows
//! it. The only unsafe code forwards each call unchanged to `std::alloc::System`.
#![allow(
    unsafe_code,
    reason = "a counting GlobalAlloc must be an unsafe impl; it only forwards to System"
)]

mod fixture;
mod forge;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use forge::{SplitMix, payload_bytes};
use keyseal::{Error, MAX_KEY_LEN, Malformed, Prefix, UntrustedKey, VERSION, Verifier};

/// Most allocations one verification makes: the shared `Arc<Claims>`, the app id, the scope
/// list and 32 scopes, the extension list and 16 names and 16 values.
const VERIFY_MAX_ALLOCS: usize = 68;
/// Most bytes one verification allocates in all: the `Claims` of the largest possible key.
/// 32 scopes of 24-byte `String`s and 16 extensions of 48-byte `(String, Vec<u8>)` take
/// 1536 bytes; their text takes no more than the 947-byte payload less its 86 bytes of
/// token id, times, tags and length prefixes: 1536 + 861 = 2397; plus the `Arc` that holds
/// the `Claims` (two counters and the struct).
const VERIFY_MAX_BYTES: usize =
    2397 + 2 * core::mem::size_of::<usize>() + core::mem::size_of::<keyseal::Claims>();
/// A payload decoder allocates at most this many times its input's length. The worst case
/// is 16 extensions with one-letter names and empty values: 3 bytes of input and 49 bytes of
/// `Claims` each, in a payload of at least 71 bytes (785 / 71 ≈ 11.1).
const DECODE_MAX_RATIO: usize = 12;

/// What the allocator saw on one thread inside [`measure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Stats {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    allocs: usize,
    /// Bytes requested by those calls (for `realloc`, the new size).
    bytes: usize,
    /// Most bytes live at once, counted from zero at the start of the measurement.
    peak: usize,
}

/// Per-thread counters: whether counting is on, the statistics, and the bytes live now.
#[derive(Clone, Copy)]
struct Counters {
    on: bool,
    stats: Stats,
    live: usize,
}

thread_local! {
    static COUNTERS: Cell<Counters> = const {
        Cell::new(Counters { on: false, stats: Stats { allocs: 0, bytes: 0, peak: 0 }, live: 0 })
    };
}

/// Records an allocation of `size` bytes that replaces `freed` bytes.
fn record(size: usize, freed: usize) {
    let _ = COUNTERS.try_with(|c| {
        let mut v = c.get();
        if v.on {
            v.stats.allocs += 1;
            v.stats.bytes += size;
            v.live = v.live.saturating_add(size).saturating_sub(freed);
            v.stats.peak = v.stats.peak.max(v.live);
            c.set(v);
        }
    });
}

/// Records that `size` bytes were freed.
fn release(size: usize) {
    let _ = COUNTERS.try_with(|c| {
        let mut v = c.get();
        if v.on {
            v.live = v.live.saturating_sub(size);
            c.set(v);
        }
    });
}

/// `System`, counting on the threads that asked for it.
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the bookkeeping touches only a thread-local `Cell` and never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size(), 0);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size(), 0);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        release(layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size, layout.size());
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Runs `f` and reports what it allocated on this thread. Its result is dropped before the
/// measurement ends (so `peak` includes it).
fn measure<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    let set = |on| {
        COUNTERS.with(|c| {
            let mut v = c.get();
            if on {
                v.stats = Stats::default();
                v.live = 0;
            }
            v.on = on;
            c.set(v);
        });
    };
    set(true);
    let r = f();
    set(false);
    (r, COUNTERS.with(|c| c.get().stats))
}

fn max_len_verifier() -> Verifier {
    fixture::verifier_for(fixture::LONG_PREFIX)
}

/// A valid key of exactly `MAX_KEY_LEN` characters: the longest prefix and the largest
/// payload.
fn max_len_key() -> String {
    let p = fixture::LONG_PREFIX;
    let key = fixture::issue_at(
        p,
        &fixture::ACTIVE_SEED,
        fixture::max_size_request(p),
        fixture::now(),
    );
    key.into_string()
}

/// Verifies `text` with `verifier` at the fixture's time and checks the bound; returns the
/// statistics.
fn verify_within_bound(verifier: &Verifier, text: &str) -> (Result<(), Error>, Stats) {
    let (r, stats) = measure(|| verifier.verify_at(text, fixture::now()).map(drop));
    assert!(
        stats.allocs <= VERIFY_MAX_ALLOCS && stats.bytes <= VERIFY_MAX_BYTES,
        "verifying {text:?} ({r:?}) allocated {stats:?}"
    );
    if let Err(e) = &r {
        if refused_before_the_payload(e) {
            assert_eq!(stats, Stats::default(), "{e:?} after allocating");
        }
    }
    (r, stats)
}

/// Whether `e` is found before the payload is decoded, that is, before the signature has
/// verified.
fn refused_before_the_payload(e: &Error) -> bool {
    !matches!(
        e,
        Error::Malformed(Malformed::Payload(_) | Malformed::Claims(_))
            | Error::Expired { .. }
            | Error::NotYetValid { .. }
            | Error::LifetimeTooLong { .. }
    )
}

#[test]
fn the_fixture_reaches_the_maximum_length() {
    assert!(fixture::long_prefix_is_max());
    assert_eq!(max_len_key().len(), MAX_KEY_LEN);
}

#[test]
fn a_valid_key_allocates_only_its_claims() {
    let typical = fixture::issue_at(
        fixture::PREFIX,
        &fixture::ACTIVE_SEED,
        fixture::typical_request(),
        fixture::now(),
    );
    let (r, stats) = verify_within_bound(&fixture::verifier(), typical.as_str());
    assert_eq!(r, Ok(()));
    // The shared claims, the app id, the scope list and its two scopes.
    assert_eq!(stats.allocs, 5, "{stats:?}");
    println!("typical key ({} chars): {stats:?}", typical.as_str().len());

    let (r, stats) = verify_within_bound(&max_len_verifier(), &max_len_key());
    assert_eq!(r, Ok(()));
    // The largest key holds every claim there can be, so it reaches the allocation count.
    assert_eq!(stats.allocs, VERIFY_MAX_ALLOCS, "{stats:?}");
    println!("largest key ({MAX_KEY_LEN} chars): {stats:?}");
}

#[test]
fn inputs_refused_before_the_signature_allocate_nothing() {
    let verifier = max_len_verifier();
    let p = fixture::LONG_PREFIX;
    let valid = max_len_key();
    let bytes = forge::open(p, &valid);
    let mut bad_signature = bytes.clone();
    let sig_at = bytes.len() - 4 - 64;
    bad_signature[sig_at] ^= 1;
    let mut bad_checksum = valid.clone().into_bytes();
    let last = bad_checksum.len() - 1;
    bad_checksum[last] = if bad_checksum[last] == b'A' {
        b'Q'
    } else {
        b'A'
    };
    let unknown = forge::signed(
        p,
        &fixture::signing_key(&fixture::UNKNOWN_SEED),
        &forge::payload(p, &valid),
    );
    let cases = [
        ("empty", String::new()),
        ("max-length garbage", "\u{7f}".repeat(MAX_KEY_LEN)),
        ("one character too long", format!("{valid}A")),
        (
            "max-length prefix, base64 garbage",
            format!("{p}_{}", "!".repeat(MAX_KEY_LEN - p.len() - 1)),
        ),
        ("wrong prefix", valid.replacen("acme_edge", "acme_test", 1)),
        (
            "bad checksum",
            String::from_utf8(bad_checksum).expect("ASCII"),
        ),
        ("bad signature", forge::reseal(p, &bad_signature)),
        ("unknown signing key", unknown),
        (
            "unsupported version",
            forge::reseal(p, &[&[VERSION + 1][..], &bytes[1..]].concat()),
        ),
    ];
    for (what, text) in &cases {
        let (r, stats) = verify_within_bound(&verifier, text);
        assert!(r.is_err(), "{what} verified");
        assert_eq!(stats, Stats::default(), "{what}: {r:?}");
    }
}

/// Payloads that are valid, truncated, over-long, full of empty strings, or the most
/// elements for the fewest bytes; then `n` mutations of a valid one and `n` random ones.
fn adversarial_payloads(rng: &mut SplitMix, n: usize) -> Vec<Vec<u8>> {
    let tid = [7; 16];
    let times = (fixture::NOW, fixture::NOW + 60, None);
    let empties32 = [""; 32];
    let names: Vec<String> = (b'a'..=b'p').map(|c| char::from(c).to_string()).collect();
    let tiny_exts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &[][..])).collect();
    let tiny_scopes: Vec<String> = "0123456789abcdefghijklmnopqrstuv"
        .chars()
        .map(|c| format!("a:{c}"))
        .collect();
    let tiny_scopes: Vec<&str> = tiny_scopes.iter().map(String::as_str).collect();
    let valid = payload_bytes("a", &tiny_scopes, times, tid, &tiny_exts);
    let mut out = vec![
        // A scope count and nothing behind it, or a scope longer than what follows.
        vec![1, b'a', 32],
        [&[1, b'a', 32, 0x80, 0x01][..], &[b'x'; 30]].concat(),
        vec![
            1, b'a', 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16,
        ],
        // 32 empty scopes, 16 empty extensions: the strings postcard would amplify 24×.
        payload_bytes("a", &empties32, times, tid, &[]),
        payload_bytes("a", &[], times, tid, &[("", &[][..]); 16]),
        payload_bytes("a", &empties32, times, tid, &[("", &[][..]); 16]),
        // The most elements for the fewest bytes that still decode.
        valid.clone(),
        payload_bytes("a", &[], times, tid, &tiny_exts),
        payload_bytes("a", &tiny_scopes, times, tid, &[]),
        payload_bytes("a", &[], (1, 2, None), tid, &tiny_exts),
        // Counts over the limits.
        payload_bytes("a", &[""; 33], times, tid, &[]),
        payload_bytes("a", &[], times, tid, &[("", &[][..]); 17]),
        // Valid claims, but not in the canonical encoding: the issue time (1) as a two-byte
        // varint, and a token id of zeros that follows the over-long one.
        [&[1, b'a', 0, 0x81, 0x00, 2, 0][..], &[0; 16], &[0]].concat(),
    ];
    for _ in 0..n {
        out.push(rng.mutate(&valid));
        let len = rng.below(947);
        out.push(rng.bytes(len));
    }
    out
}

#[test]
fn signed_keys_with_any_payload_stay_within_the_bound() {
    let verifier = fixture::verifier();
    let key = fixture::signing_key(&fixture::ACTIVE_SEED);
    let mut rng = SplitMix(1);
    let mut decoded = 0;
    // Few: each is signed and verified, which is slow in an unoptimized test build.
    for payload in adversarial_payloads(&mut rng, 100) {
        let text = forge::signed(fixture::PREFIX, &key, &payload);
        if text.len() <= MAX_KEY_LEN {
            let (r, _) = verify_within_bound(&verifier, &text);
            decoded += usize::from(r.is_ok());
        }
    }
    // The generator must reach valid keys too, or the bound was never tested on them.
    assert!(decoded >= 3, "only {decoded} payloads verified");
}

#[test]
fn random_and_mutated_texts_stay_within_the_bound() {
    let verifier = max_len_verifier();
    let valid = max_len_key();
    let p = fixture::LONG_PREFIX;
    let bytes = forge::open(p, &valid);
    let mut rng = SplitMix(2);
    for i in 0..1500 {
        // Text edits (mostly caught by the checksum), random text of any length, and (fewer:
        // slow in an unoptimized test build) byte edits behind a fixed checksum, which reach
        // the signature check.
        let edited = String::from_utf8_lossy(&rng.mutate(valid.as_bytes())).into_owned();
        let n = rng.below(MAX_KEY_LEN + 2);
        let random = String::from_utf8_lossy(&rng.bytes(n)).into_owned();
        let resealed = (i % 8 == 0).then(|| forge::reseal(p, &rng.mutate(&bytes)));
        for text in [Some(edited), Some(random), resealed].into_iter().flatten() {
            let (r, _) = verify_within_bound(&verifier, &text);
            assert!(r.is_err() || text == valid, "a mutation verified: {text}");
        }
    }
}

/// Checks the payload decoder's bound on `payload`, decoded by `decode`; returns the bytes
/// allocated.
fn decode_within_ratio(payload: &[u8], decode: impl FnOnce() -> Result<(), Error>) -> usize {
    let (r, stats) = measure(decode);
    assert!(
        stats.bytes <= DECODE_MAX_RATIO * payload.len(),
        "{} bytes of payload ({r:?}) allocated {stats:?}: {payload:?}",
        payload.len()
    );
    if r.is_err() {
        assert_eq!(stats, Stats::default(), "{r:?}: {payload:?}");
    }
    stats.bytes
}

#[test]
fn the_payload_decoder_allocates_a_small_multiple_of_its_input() {
    let key_id = fixture::signing_key(&fixture::ACTIVE_SEED).key_id();
    let mut rng = SplitMix(3);
    let mut worst = (0, 1);
    for payload in adversarial_payloads(&mut rng, 1000) {
        // Behind a valid checksum, without a signature: what anyone can make
        // `untrusted_claims` decode.
        let text = forge::unsigned(fixture::PREFIX, key_id, &payload);
        let untrusted = match UntrustedKey::parse(&text) {
            Ok(untrusted) => untrusted,
            Err(e) => {
                // Shorter or longer than a key can be: refused before the payload is read.
                assert!(
                    matches!(
                        e,
                        Error::Malformed(Malformed::TooShort | Malformed::TooLong)
                    ),
                    "{e:?}: {payload:?}"
                );
                continue;
            }
        };
        let bytes = decode_within_ratio(&payload, || untrusted.untrusted_claims().map(drop));
        if bytes * worst.1 > worst.0 * payload.len() {
            worst = (bytes, payload.len());
        }
    }
    println!(
        "worst payload amplification: {} bytes for {} ({:.1}×)",
        worst.0,
        worst.1,
        worst.0 as f64 / worst.1 as f64
    );
    // The generator must find the costly payloads, or the ratio was never approached.
    assert!(worst.0 * 2 > worst.1 * DECODE_MAX_RATIO, "{worst:?}");
}

/// The decoder itself, on payloads of any length, including those too short for a key.
#[cfg(feature = "fuzzing")]
#[test]
fn the_payload_decoder_itself_allocates_a_small_multiple_of_its_input() {
    let mut rng = SplitMix(5);
    let mut payloads = adversarial_payloads(&mut rng, 1000);
    payloads.extend((0..64).map(|n| vec![0; n]));
    payloads.push(vec![1; keyseal::MAX_KEY_BYTES]);
    for payload in payloads {
        decode_within_ratio(&payload, || {
            keyseal::__fuzz::decode_payload(&payload).map(drop)
        });
    }
}

#[test]
fn parsing_allocates_at_most_its_input() {
    let mut rng = SplitMix(4);
    let valid = max_len_key();
    for _ in 0..2000 {
        let n = rng.below(MAX_KEY_LEN + 2);
        let texts = [
            String::from_utf8_lossy(&rng.mutate(valid.as_bytes())).into_owned(),
            String::from_utf8_lossy(&rng.bytes(n)).into_owned(),
            valid.clone(),
        ];
        for text in texts {
            let (r, stats) = measure(|| UntrustedKey::parse(&text).map(drop));
            assert!(
                stats.bytes <= text.len() && stats.allocs <= 2,
                "parsing {text:?} ({r:?}) allocated {stats:?}"
            );
        }
    }
}

#[test]
fn length_is_checked_before_anything_is_decoded() {
    let valid = max_len_key();
    // A megabyte that would decode as base64url but for its length.
    let huge = format!("{}_{}", fixture::LONG_PREFIX, "A".repeat(1 << 20));
    let verifier = max_len_verifier();
    for text in [format!("{valid}A"), huge] {
        let too_long = Err(Error::Malformed(Malformed::TooLong));
        let parsed = measure(|| UntrustedKey::parse(&text).map(drop));
        assert_eq!(parsed, (too_long.clone(), Stats::default()));
        let verified = measure(|| verifier.verify_at(&text, fixture::now()).map(drop));
        assert_eq!(verified, (too_long, Stats::default()));
    }
    // Prefixes: at most MAX_PREFIX_LEN characters, however long the input.
    assert!(Prefix::new(fixture::LONG_PREFIX).is_ok());
    for long in [format!("{}x", fixture::LONG_PREFIX), "a".repeat(1 << 20)] {
        assert_eq!(Prefix::new(long), Err(Error::InvalidPrefix));
    }
}
