//! Every key has exactly one accepted text form: exhaustive bit flips and truncations of a
//! valid key, cross-keyring checks, exact time boundaries, and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use core::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::{
    Error, Issuer, KeyState, Keyring, Malformed, NewKey, Prefix, SigningKey, Timestamp, TokenId,
    Verifier, VerifierOptions,
};
use proptest::prelude::*;

const NOW: u64 = 1_795_000_000;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

struct Fixture {
    issuer: Issuer,
    verifier: Verifier,
}

fn fixture(seed: u8) -> Fixture {
    let sk = SigningKey::from_seed(&[seed; 32]).unwrap();
    let mut ring = Keyring::new();
    ring.add(sk.public_key(), KeyState::Active).unwrap();
    Fixture {
        issuer: Issuer::new(Prefix::new("acme_live").unwrap(), sk),
        verifier: Verifier::new(Prefix::new("acme_live").unwrap(), ring),
    }
}

fn standard_request() -> NewKey {
    NewKey::for_app("app_7f3k9x2m")
        .scopes(["orders:read", "orders:write", "customers:read"])
        .expires_in(Duration::from_secs(90 * 86_400))
        .token_id(TokenId::from_bytes([7; 16]))
}

fn standard_key(f: &Fixture) -> String {
    f.issuer
        .issue_at(standard_request(), t(NOW))
        .unwrap()
        .into_string()
}

/// Re-encodes decoded key bytes with a correct checksum, so that the signature check is
/// what must catch the change.
fn with_checksum(prefix: &str, bytes_without_crc: &[u8]) -> String {
    common::key_text(prefix, bytes_without_crc)
}

fn decoded(key: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(key.strip_prefix("acme_live_").unwrap()).unwrap()
}

#[test]
fn the_valid_key_verifies() {
    let f = fixture(1);
    let key = standard_key(&f);
    assert!(f.verifier.verify_at(&key, t(NOW)).is_ok());
}

#[test]
fn every_bit_flip_of_the_text_is_rejected() {
    let f = fixture(1);
    let key = standard_key(&f);
    let mut tried = 0;
    for i in 0..key.len() {
        for bit in 0..8 {
            let mut bytes = key.clone().into_bytes();
            bytes[i] ^= 1 << bit;
            // Non-UTF-8 text cannot even be presented as a &str; everything else must fail.
            let Ok(flipped) = String::from_utf8(bytes) else {
                continue;
            };
            tried += 1;
            assert!(
                f.verifier.verify_at(&flipped, t(NOW)).is_err(),
                "flip of bit {bit} at {i} verified"
            );
        }
    }
    assert_eq!(tried, key.len() * 7);
}

#[test]
fn every_bit_flip_of_the_decoded_bytes_is_rejected() {
    let f = fixture(1);
    let key = standard_key(&f);
    let bytes = decoded(&key);
    let body_len = bytes.len() - 4;
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1 << bit;
            // As received: the checksum catches it (or, for a version byte of 104 and
            // above, the body no longer starts with A-Z and the prefix split fails).
            let text = format!("acme_live_{}", Base64UrlUnpadded::encode_string(&flipped));
            let err = f.verifier.verify_at(&text, t(NOW)).unwrap_err();
            assert!(
                err == Error::Malformed(Malformed::Checksum)
                    || (i == 0 && flipped[0] >= 104 && err == Error::Malformed(Malformed::Prefix)),
                "byte {i} bit {bit}: {err}"
            );
            // With the checksum recomputed: the signature (or version / key id) catches it.
            if i < body_len {
                let text = with_checksum("acme_live", &flipped[..body_len]);
                let err = f.verifier.verify_at(&text, t(NOW)).unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::BadSignature | Error::UnsupportedVersion(_) | Error::UnknownKey(_)
                    ) || (i == 0 && err == Error::Malformed(Malformed::Prefix)),
                    "byte {i} bit {bit}: {err}"
                );
            }
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let f = fixture(1);
    let key = standard_key(&f);
    for n in 0..key.len() {
        assert!(
            f.verifier.verify_at(&key[..n], t(NOW)).is_err(),
            "prefix of {n} chars"
        );
        assert!(
            f.verifier.verify_at(&key[n + 1..], t(NOW)).is_err(),
            "dropped first {n}"
        );
    }
    let bytes = decoded(&key);
    let body = &bytes[..bytes.len() - 4];
    for n in 0..body.len() {
        assert!(
            f.verifier
                .verify_at(&with_checksum("acme_live", &body[..n]), t(NOW))
                .is_err(),
            "{n} bytes with a fresh checksum"
        );
    }
}

#[test]
fn anything_appended_is_rejected() {
    let f = fixture(1);
    let key = standard_key(&f);
    for suffix in [
        "A", "AA", "AAA", "AAAA", "=", "==", " ", "\n", "_", "-", ".", "\0",
    ] {
        assert!(
            f.verifier
                .verify_at(&format!("{key}{suffix}"), t(NOW))
                .is_err(),
            "{suffix:?}"
        );
        assert!(
            f.verifier
                .verify_at(&format!("{suffix}{key}"), t(NOW))
                .is_err(),
            "{suffix:?}"
        );
    }
    let bytes = decoded(&key);
    let mut extra = bytes[..bytes.len() - 4].to_vec();
    extra.push(0);
    assert_eq!(
        f.verifier
            .verify_at(&with_checksum("acme_live", &extra), t(NOW))
            .unwrap_err(),
        Error::BadSignature
    );
}

#[test]
fn cross_keyring_unknown_and_retired_keys() {
    let (a, b) = (fixture(1), fixture(2));
    let key_a = standard_key(&a);
    let key_b = standard_key(&b);
    let id_a = a.issuer.key_id();
    assert_eq!(
        b.verifier.verify_at(&key_a, t(NOW)).unwrap_err(),
        Error::UnknownKey(id_a)
    );
    assert!(b.verifier.verify_at(&key_b, t(NOW)).is_ok());

    // Both keys in one keyring; then retire A.
    let mut ring = Keyring::new();
    ring.add(a.issuer.public_key(), KeyState::VerifyOnly)
        .unwrap();
    ring.add(b.issuer.public_key(), KeyState::Active).unwrap();
    let both = Verifier::new(Prefix::new("acme_live").unwrap(), ring.clone());
    assert!(both.verify_at(&key_a, t(NOW)).is_ok());
    assert!(both.verify_at(&key_b, t(NOW)).is_ok());
    ring.retire(id_a).unwrap();
    let retired = both.with_keyring(ring.clone());
    assert_eq!(
        retired.verify_at(&key_a, t(NOW)).unwrap_err(),
        Error::RetiredKey(id_a)
    );
    assert!(retired.verify_at(&key_b, t(NOW)).is_ok());
    ring.remove(id_a).unwrap();
    let removed = retired.with_keyring(ring);
    assert_eq!(
        removed.verify_at(&key_a, t(NOW)).unwrap_err(),
        Error::UnknownKey(id_a)
    );
}

#[test]
fn another_verifiers_prefix_is_refused() {
    let f = fixture(1);
    let key = standard_key(&f);
    let test_verifier = Verifier::new(
        Prefix::new("acme_test").unwrap(),
        f.verifier.keyring().clone(),
    );
    assert_eq!(
        test_verifier.verify_at(&key, t(NOW)).unwrap_err(),
        Error::WrongPrefix
    );
    let test_key = key.replacen("acme_live", "acme_test", 1);
    // Checksum covers the prefix.
    assert_eq!(
        test_verifier.verify_at(&test_key, t(NOW)).unwrap_err(),
        Error::Malformed(Malformed::Checksum)
    );
    // With a fresh checksum, the signature covers the prefix.
    let relabelled = with_checksum("acme_test", &decoded(&key)[..decoded(&key).len() - 4]);
    assert_eq!(
        test_verifier.verify_at(&relabelled, t(NOW)).unwrap_err(),
        Error::BadSignature
    );
}

#[test]
fn expiry_and_not_before_boundaries_with_separate_leeways() {
    let f = fixture(1);
    let issued = t(NOW);
    let exp = NOW + 1000;
    let nbf = NOW + 500;
    let key = f
        .issuer
        .issue_at(
            NewKey::for_app("app")
                .scope("a:b")
                .expires_at(t(exp))
                .not_before(t(nbf)),
            issued,
        )
        .unwrap()
        .into_string();
    for (exp_leeway, nbf_leeway) in [(0, 0), (60, 60), (5, 300), (300, 5)] {
        let v = f.verifier.clone().with_options(
            VerifierOptions::default()
                .expiry_leeway(Duration::from_secs(exp_leeway))
                .not_before_leeway(Duration::from_secs(nbf_leeway)),
        );
        let at = |s: u64| v.verify_at(&key, t(s));
        assert_eq!(
            at(nbf - nbf_leeway - 1).unwrap_err(),
            Error::NotYetValid { valid_from: t(nbf) },
            "leeways {exp_leeway}/{nbf_leeway}"
        );
        assert!(
            at(nbf - nbf_leeway).is_ok(),
            "leeways {exp_leeway}/{nbf_leeway}"
        );
        assert!(
            at(exp + exp_leeway - 1).is_ok(),
            "leeways {exp_leeway}/{nbf_leeway}"
        );
        assert_eq!(
            at(exp + exp_leeway).unwrap_err(),
            Error::Expired { expires_at: t(exp) },
            "leeways {exp_leeway}/{nbf_leeway}"
        );
    }
}

#[test]
fn max_lifetime_is_enforced_at_the_boundary() {
    let f = fixture(1);
    let key = standard_key(&f);
    let ninety = Duration::from_secs(90 * 86_400);
    let exact = f
        .verifier
        .clone()
        .with_options(VerifierOptions::default().max_lifetime(ninety));
    assert!(exact.verify_at(&key, t(NOW)).is_ok());
    let shorter = f
        .verifier
        .clone()
        .with_options(VerifierOptions::default().max_lifetime(ninety - Duration::from_secs(1)));
    assert!(matches!(
        shorter.verify_at(&key, t(NOW)),
        Err(Error::LifetimeTooLong {
            lifetime_secs: 7_776_000,
            max_secs: 7_775_999
        })
    ));
}

#[test]
fn keyring_validity_window_applies_to_verification_time() {
    let f = fixture(1);
    let key = standard_key(&f);
    let mut ring = f.verifier.keyring().clone();
    let id = f.issuer.key_id();
    ring.set_validity(id, Some(t(NOW)), Some(t(NOW + 10)))
        .unwrap();
    let v = f.verifier.clone().with_keyring(ring);
    assert!(v.verify_at(&key, t(NOW)).is_ok());
    assert!(v.verify_at(&key, t(NOW + 9)).is_ok());
    assert_eq!(
        v.verify_at(&key, t(NOW + 10)).unwrap_err(),
        Error::KeyOutsideValidity(id)
    );
}

fn scope_strategy() -> impl Strategy<Value = String> {
    (
        "[a-z0-9][a-z0-9_.-]{0,12}",
        prop_oneof!["[a-z0-9][a-z0-9_.-]{0,12}", Just("*".to_string())],
    )
        .prop_map(|(r, a)| format!("{r}:{a}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn issue_then_verify_round_trips(
        app in "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
        scopes in proptest::collection::vec(scope_strategy(), 0..32),
        iat in 1u64..253_402_000_000,
        lifetime in 1u64..200_000,
        nbf_offset in proptest::option::of(0u64..200_000),
        ext in proptest::collection::btree_map("[a-z][a-z0-9_.-]{0,31}", proptest::collection::vec(any::<u8>(), 0..64), 0..4),
        tid in any::<[u8; 16]>(),
    ) {
        let f = fixture(3);
        let exp = iat + lifetime;
        let mut req = NewKey::for_app(app.clone())
            .scopes(scopes.clone())
            .expires_at(t(exp))
            .token_id(TokenId::from_bytes(tid));
        let nbf = nbf_offset.map(|o| iat + o % lifetime);
        if let Some(nbf) = nbf {
            req = req.not_before(t(nbf));
        }
        for (name, value) in &ext {
            if !name.starts_with("keyseal") {
                req = req.extension(name.clone(), value.clone());
            }
        }
        let issued = f.issuer.issue_at(req, t(iat)).unwrap();
        let verified = f.verifier.verify_at(issued.as_str(), t(nbf.unwrap_or(iat))).unwrap();
        prop_assert_eq!(verified.claims(), issued.claims());
        let mut canonical = scopes.clone();
        canonical.sort();
        canonical.dedup();
        prop_assert_eq!(verified.claims().scopes().collect::<Vec<_>>(), canonical.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(verified.app_id(), app.as_str());
        for s in &scopes {
            prop_assert!(verified.has_scope(s));
        }
        // The untrusted view decodes the same claims.
        let untrusted = keyseal::UntrustedKey::parse(issued.as_str()).unwrap();
        prop_assert_eq!(&untrusted.untrusted_claims().unwrap(), issued.claims());
    }

    #[test]
    fn arbitrary_strings_never_verify(s in any::<String>()) {
        let f = fixture(1);
        prop_assert!(f.verifier.verify_at(&s, t(NOW)).is_err());
        let prefixed = format!("acme_live_{s}");
        prop_assert!(f.verifier.verify_at(&prefixed, t(NOW)).is_err());
    }

    #[test]
    fn arbitrary_bytes_with_valid_checksum_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let f = fixture(1);
        let mut b = bytes;
        if let Some(first) = b.first_mut() {
            *first = 1; // the supported version, to reach the later checks
        }
        if b.len() > 9 {
            b[1..9].copy_from_slice(&f.issuer.key_id().to_bytes());
        }
        let text = with_checksum("acme_live", &b);
        prop_assert!(f.verifier.verify_at(&text, t(NOW)).is_err());
    }
}
