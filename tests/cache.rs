//! The verification cache: hits are re-checked against the current keyring, revocation list,
//! prefix and clock; only verified keys enter; entries die with their keys; memory is bounded.
#![cfg(feature = "cache")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;
use std::sync::atomic::{AtomicBool, Ordering};

use keyseal::{
    CachedVerifier, Error, Issuer, KeyState, Keyring, LiveVerifier, NewKey, Prefix,
    RevocationListBuilder, SigningKey, Timestamp, TokenId, Verifier,
};

const NOW: u64 = 1_795_000_000;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix(s).unwrap()
}

struct World {
    signer: SigningKey,
    keyring: Keyring,
    issuer: Issuer,
    cached: CachedVerifier,
}

fn world(capacity: usize) -> World {
    let signer = SigningKey::from_seed(&[1; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add(signer.public_key(), KeyState::Active).unwrap();
    let prefix = Prefix::new("acme_live").unwrap();
    let issuer = Issuer::new(prefix.clone(), SigningKey::from_seed(&[1; 32]).unwrap());
    let live = LiveVerifier::new(
        Verifier::new(prefix, keyring.clone()).with_clock(keyseal::FixedClock(t(NOW))),
    );
    World {
        signer,
        keyring,
        issuer,
        cached: CachedVerifier::new(live, capacity),
    }
}

fn key(w: &World, tid: u8, lifetime: u64) -> String {
    w.issuer
        .issue_at(
            NewKey::for_app("app")
                .scope("orders:read")
                .expires_in(Duration::from_secs(lifetime))
                .token_id(TokenId::from_bytes([tid; 16])),
            t(NOW - 10),
        )
        .unwrap()
        .into_string()
}

#[test]
fn hits_return_the_same_claims() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    let first = w.cached.verify(&k).unwrap();
    assert_eq!(w.cached.len(), 1);
    let second = w.cached.verify(&k).unwrap();
    assert_eq!(first, second);
    assert_eq!(w.cached.len(), 1);
}

#[test]
fn only_verified_keys_enter_and_look_alikes_never_hit() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    w.cached.verify(&k).unwrap();
    // A string that differs in one character is a different key: full verification.
    let mut other: Vec<char> = k.chars().collect();
    let i = other.len() - 5;
    other[i] = if other[i] == 'A' { 'B' } else { 'A' };
    let other: String = other.into_iter().collect();
    assert!(w.cached.verify(&other).is_err());
    assert!(w.cached.verify(&format!("{k} ")).is_err());
    assert!(w.cached.verify(&k[..k.len() - 1]).is_err());
    assert_eq!(w.cached.len(), 1, "failures are never cached");
}

#[test]
fn keyring_changes_apply_to_cached_entries_at_once() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    w.cached.verify(&k).unwrap();
    let mut retired = w.keyring.clone();
    retired.retire(w.signer.key_id()).unwrap();
    w.cached.live().update_keyring(retired);
    assert_eq!(
        w.cached.verify(&k).unwrap_err(),
        Error::RetiredKey(w.signer.key_id())
    );
    assert_eq!(w.cached.len(), 0);
    w.cached.live().update_keyring(Keyring::new());
    assert_eq!(
        w.cached.verify(&k).unwrap_err(),
        Error::UnknownKey(w.signer.key_id())
    );
    w.cached.live().update_keyring(w.keyring.clone());
    assert!(w.cached.verify(&k).is_ok());
}

#[test]
fn revocations_apply_to_cached_entries_at_once() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    let k2 = key(&w, 2, 3600);
    w.cached.verify(&k).unwrap();
    w.cached.verify(&k2).unwrap();
    let mut b = RevocationListBuilder::new();
    b.revoke_token(TokenId::from_bytes([1; 16]), t(NOW + 3600));
    let prefix = Prefix::new("acme_live").unwrap();
    w.cached
        .live()
        .update_revocations(&b.sign(&prefix, &w.signer, t(NOW)).unwrap())
        .unwrap();
    assert!(matches!(w.cached.verify(&k), Err(Error::Revoked { .. })));
    let ok = w.cached.verify(&k2).unwrap();
    assert_eq!(ok.revocation_status().unwrap().sequence, 1);
}

#[test]
fn entries_never_outlive_their_key() {
    let w = world(100);
    let k = key(&w, 1, 100);
    w.cached.verify_at(&k, t(NOW)).unwrap();
    let exp = NOW - 10 + 100;
    assert!(
        w.cached.verify_at(&k, t(exp + 59)).is_ok(),
        "within the leeway"
    );
    assert_eq!(
        w.cached.verify_at(&k, t(exp + 60)).unwrap_err(),
        Error::Expired { expires_at: t(exp) }
    );
    assert_eq!(w.cached.len(), 0);
}

#[test]
fn a_new_prefix_applies_to_cached_entries() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    w.cached.verify(&k).unwrap();
    w.cached.live().replace(Verifier::new(
        Prefix::new("acme_test").unwrap(),
        w.keyring.clone(),
    ));
    assert_eq!(
        w.cached.verify_at(&k, t(NOW)).unwrap_err(),
        Error::WrongPrefix
    );
}

#[test]
fn a_shorter_prefix_that_the_key_text_starts_with_applies_to_cached_entries() {
    // `acme_live_…` starts with `acme_`, but its prefix is `acme_live`: a verifier for
    // `acme` refuses it, and a cached entry must get the same answer, whatever prefix the
    // replacement names (shorter, longer or another segment of the same text).
    // (A hit checks the prefix without splitting the text again: these pin that shortcut to
    // the split's answer, at each kind of boundary.)
    for prefix in [
        "acme",
        "acme_live_x",
        "acme_live_0",
        "acm",
        "acme_l",
        "acme_liv",
        "acme_live0",
        "acme_livex",
        "cme_live",
        "a",
    ] {
        let w = world(100);
        let k = key(&w, 1, 3600);
        w.cached.verify(&k).unwrap();
        assert!(w.cached.contains(&k));
        let replacement = Verifier::new(Prefix::new(prefix).unwrap(), w.keyring.clone());
        assert_eq!(
            replacement.verify_at(&k, t(NOW)).unwrap_err(),
            Error::WrongPrefix,
            "{prefix}"
        );
        w.cached.live().replace(replacement);
        assert_eq!(
            w.cached.verify_at(&k, t(NOW)).unwrap_err(),
            Error::WrongPrefix,
            "{prefix}"
        );
        assert!(
            !w.cached.contains(&k),
            "{prefix}: a refused hit leaves the cache"
        );
    }
}

#[test]
fn contains_is_false_for_keys_never_verified_or_refused() {
    let w = world(100);
    let k = key(&w, 1, 3600);
    assert!(!w.cached.contains(&k), "nothing verified yet");
    w.cached.verify(&k).unwrap();
    assert!(w.cached.contains(&k));
    let other = key(&w, 2, 3600);
    assert!(!w.cached.contains(&other), "another key");
    assert!(
        !w.cached.contains(&k[..k.len() - 1]),
        "a prefix of a cached text"
    );
    assert!(!w.cached.contains(""));
    // A refused key never enters.
    let mut forged: Vec<char> = other.chars().collect();
    let i = forged.len() - 3;
    forged[i] = if forged[i] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    assert!(w.cached.verify(&forged).is_err());
    assert!(!w.cached.contains(&forged));
    w.cached.clear();
    assert!(!w.cached.contains(&k), "cleared");
}

#[test]
fn memory_is_bounded() {
    let w = world(64);
    for i in 0..=255u8 {
        w.cached.verify(&key(&w, i, 3600)).unwrap();
    }
    assert!(w.cached.len() <= 64, "{}", w.cached.len());
    assert!(!w.cached.is_empty());
    w.cached.clear();
    assert!(w.cached.is_empty());
}

#[test]
fn a_flood_of_one_off_keys_does_not_evict_keys_in_use() {
    let w = world(64);
    let hot: Vec<String> = (0..8).map(|i| key(&w, i, 3600)).collect();
    for _ in 0..3 {
        for k in &hot {
            w.cached.verify(k).unwrap();
        }
    }
    // Sixteen times the capacity in keys presented once each (a scan, or a client that
    // issues itself a new key per request).
    for _ in 0..1024 {
        let one_off = w
            .issuer
            .issue_at(
                NewKey::for_app("scanner")
                    .scope("orders:read")
                    .expires_in(Duration::from_secs(3600)),
                t(NOW - 10),
            )
            .unwrap();
        w.cached.verify(one_off.as_str()).unwrap();
    }
    // Under LRU or FIFO every key in use would be gone by now.
    assert!(w.cached.len() <= 64);
    for k in &hot {
        assert!(
            w.cached.contains(k),
            "a key in use was evicted by one-off keys"
        );
    }
}

#[test]
fn concurrent_hits_see_a_revocation_once_it_is_published() {
    let w = world(1000);
    let keys: Vec<String> = (0..8).map(|i| key(&w, i, 3600)).collect();
    let published = AtomicBool::new(false);
    // Every wait is bounded: a worker that has not seen the revocation by then fails.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut after = 0;
                    let mut round = 0usize;
                    while after < 500 {
                        assert!(
                            std::time::Instant::now() < deadline,
                            "the revocation did not reach the workers within 20 s"
                        );
                        round += 1;
                        let seen = published.load(Ordering::Acquire);
                        let k = &keys[round % keys.len()];
                        let r = w.cached.verify(k);
                        if k == &keys[3] && seen {
                            assert!(matches!(r, Err(Error::Revoked { .. })), "{r:?}");
                            after += 1;
                        } else if k != &keys[3] {
                            assert!(r.is_ok(), "{r:?}");
                        }
                    }
                    after
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        let mut b = RevocationListBuilder::new();
        b.revoke_token(TokenId::from_bytes([3; 16]), t(NOW + 3600));
        let prefix = Prefix::new("acme_live").unwrap();
        let updated = w
            .cached
            .live()
            .update_revocations(&b.sign(&prefix, &w.signer, t(NOW)).unwrap());
        // Set even when the update was refused: the workers then fail at once on key 3
        // (not revoked) instead of spinning until the deadline.
        published.store(true, Ordering::Release);
        let seen: Vec<_> = workers.into_iter().map(|h| h.join()).collect();
        updated.unwrap();
        for r in seen {
            assert_eq!(r.unwrap(), 500);
        }
    });
    assert!(matches!(
        w.cached.verify(&keys[3]),
        Err(Error::Revoked { .. })
    ));
}
