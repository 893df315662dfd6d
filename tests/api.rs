//! The public API's promises: issuing refuses what the format forbids, scopes mean exactly
//! what the docs say, secrets never print, errors read well.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;

use keyseal::{
    Error, FixedClock, InvalidClaim, Issuer, KeyState, Keyring, KeyringProblem, NewKey, Prefix,
    SigningKey, Timestamp, UntrustedKey, Verifier,
};

const NOW: u64 = 1_795_000_000;
const DAY: Duration = Duration::from_secs(86_400);

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

fn setup() -> (Issuer, Verifier) {
    let sk = SigningKey::from_seed(&[5; 32]).unwrap();
    let mut ring = Keyring::new();
    ring.add(sk.public_key(), KeyState::Active).unwrap();
    let prefix = Prefix::new("acme_live").unwrap();
    (
        Issuer::new(prefix.clone(), sk).with_clock(FixedClock(t(NOW))),
        Verifier::new(prefix, ring).with_clock(FixedClock(t(NOW))),
    )
}

fn claim_error(request: NewKey) -> InvalidClaim {
    let (issuer, _) = setup();
    match issuer.issue(request) {
        Err(Error::InvalidClaim(c)) => c,
        other => panic!("expected an invalid claim, got {other:?}"),
    }
}

#[test]
fn issuing_refuses_what_the_format_forbids() {
    let ok = || NewKey::for_app("app").scope("a:b").expires_in(DAY);
    assert_eq!(
        claim_error(NewKey::for_app("app").scope("a:b")),
        InvalidClaim::MissingExpiry
    );
    assert_eq!(
        claim_error(NewKey::for_app("").expires_in(DAY)),
        InvalidClaim::AppId
    );
    assert_eq!(
        claim_error(NewKey::for_app("a b").expires_in(DAY)),
        InvalidClaim::AppId
    );
    assert_eq!(claim_error(ok().scope("orders")), InvalidClaim::Scope);
    assert_eq!(claim_error(ok().scope("*:read")), InvalidClaim::Scope);
    assert_eq!(
        claim_error(ok().scopes((0..33).map(|i| format!("r{i}:read")))),
        InvalidClaim::TooManyScopes
    );
    assert_eq!(
        claim_error(ok().extension("keyseal.v", [1])),
        InvalidClaim::Extension
    );
    assert_eq!(
        claim_error(ok().extension("big", vec![0; 257])),
        InvalidClaim::Extension
    );
    assert_eq!(
        claim_error(ok().extension("x", [1]).extension("x", [2])),
        InvalidClaim::ExtensionsNotCanonical
    );
    assert_eq!(
        claim_error(
            ok().scopes((0..17).map(|i| format!("r{i}:read")))
                .extensions_filling(16)
        ),
        InvalidClaim::TooLarge
    );
    assert_eq!(
        claim_error(NewKey::for_app("app").expires_at(t(NOW))),
        InvalidClaim::ExpiryNotAfterIssue
    );
    assert_eq!(
        claim_error(ok().not_before(t(NOW - 1))),
        InvalidClaim::NotBeforeOutOfRange
    );
    assert_eq!(
        claim_error(ok().not_before(t(NOW + 86_400))),
        InvalidClaim::NotBeforeOutOfRange
    );
    assert_eq!(
        claim_error(NewKey::for_app("app").expires_in(Duration::from_secs(u64::MAX))),
        InvalidClaim::TimeOutOfRange
    );
}

trait Fill {
    fn extensions_filling(self, n: usize) -> Self;
}

impl Fill for NewKey {
    fn extensions_filling(self, n: usize) -> Self {
        (0..n).fold(self, |r, i| {
            r.extension(format!("e{i:02}"), vec![0xaa; 256])
        })
    }
}

#[test]
fn scopes_are_canonical_and_wildcards_cover_one_resource() {
    let (issuer, verifier) = setup();
    let key = issuer
        .issue(
            NewKey::for_app("app")
                .scopes(["orders:*", "customers:read", "customers:read"])
                .expires_in(DAY),
        )
        .unwrap();
    assert_eq!(
        key.claims().scopes().collect::<Vec<_>>(),
        ["customers:read", "orders:*"]
    );
    let v = verifier.verify(key.as_str()).unwrap();
    assert!(v.has_scope("orders:read"));
    assert!(v.has_scope("orders:delete"));
    assert!(v.has_scope("orders:*"));
    assert!(v.has_scope("customers:read"));
    assert!(!v.has_scope("customers:write"));
    assert!(!v.has_scope("customers:*"));
    assert!(!v.has_scope("orders"));
    assert!(!v.has_scope("ORDERS:read"));
    v.require_scope("orders:read").unwrap();
    assert_eq!(
        v.require_scope("billing:read"),
        Err(Error::MissingScope {
            required: "billing:read".into()
        })
    );
    assert_eq!(
        v.require_scope("not a scope"),
        Err(Error::InvalidClaim(InvalidClaim::Scope))
    );
}

#[test]
fn the_untrusted_view_says_so_and_matches() {
    let (issuer, verifier) = setup();
    let key = issuer
        .issue(NewKey::for_app("app").scope("a:b").expires_in(DAY))
        .unwrap();
    let untrusted = UntrustedKey::parse(key.as_str()).unwrap();
    assert_eq!(untrusted.untrusted_prefix(), "acme_live");
    assert_eq!(untrusted.untrusted_key_id(), issuer.key_id());
    let verified = verifier.verify(key.as_str()).unwrap();
    assert_eq!(&untrusted.untrusted_claims().unwrap(), verified.claims());
    // A forged key parses (that's the point of inspect) but never verifies.
    let other = Issuer::new(
        Prefix::new("acme_live").unwrap(),
        SigningKey::from_seed(&[6; 32]).unwrap(),
    );
    let forged = other
        .issue_at(NewKey::for_app("app").scope("a:b").expires_in(DAY), t(NOW))
        .unwrap();
    assert!(UntrustedKey::parse(forged.as_str()).is_ok());
    assert!(verifier.verify(forged.as_str()).is_err());
}

#[test]
fn secrets_never_print() {
    let (issuer, _) = setup();
    let key = issuer
        .issue(NewKey::for_app("app").scope("a:b").expires_in(DAY))
        .unwrap();
    let body = &key.as_str()["acme_live_".len()..];
    let shown = format!("{key:?} {issuer:?}");
    assert!(!shown.contains(body), "{shown}");
    assert!(shown.contains("acme_live_<redacted>"), "{shown}");
    let seed_hex: String = [5u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.contains(&seed_hex));
}

#[test]
fn issuer_picks_the_keyrings_active_key() {
    let keys: Vec<SigningKey> = (10..13)
        .map(|n| SigningKey::from_seed(&[n; 32]).unwrap())
        .collect();
    let mut ring = Keyring::new();
    for k in &keys {
        ring.add(k.public_key(), KeyState::VerifyOnly).unwrap();
    }
    let prefix = Prefix::new("acme_live").unwrap();
    let fresh = || {
        (10..13)
            .map(|n| SigningKey::from_seed(&[n; 32]).unwrap())
            .collect::<Vec<_>>()
    };
    assert!(matches!(
        Issuer::for_active_key(prefix.clone(), &ring, fresh()),
        Err(Error::Keyring(KeyringProblem::NoActiveKey))
    ));
    ring.promote(keys[1].key_id()).unwrap();
    let issuer = Issuer::for_active_key(prefix.clone(), &ring, fresh()).unwrap();
    assert_eq!(issuer.key_id(), keys[1].key_id());
    let missing = Issuer::for_active_key(prefix, &ring, fresh().into_iter().take(1));
    assert!(matches!(
        missing,
        Err(Error::Keyring(KeyringProblem::ActiveSecretMissing(id))) if id == keys[1].key_id()
    ));
}

#[test]
fn keyring_len_counts_every_key_whatever_its_state() {
    let mut ring = Keyring::new();
    assert!(ring.is_empty());
    assert_eq!(ring.len(), 0);
    let a = SigningKey::from_seed(&[1; 32]).unwrap();
    let b = SigningKey::from_seed(&[2; 32]).unwrap();
    ring.add(a.public_key(), KeyState::Active).unwrap();
    assert!(!ring.is_empty());
    assert_eq!(ring.len(), 1);
    ring.add(b.public_key(), KeyState::VerifyOnly).unwrap();
    assert_eq!(ring.len(), 2);
    ring.retire(b.key_id()).unwrap();
    assert_eq!(ring.len(), 2, "a retired key is still in the keyring");
    assert!(ring.add(a.public_key(), KeyState::VerifyOnly).is_err());
    assert_eq!(ring.len(), 2, "a refused add changes nothing");
}

#[test]
fn prefixes_follow_the_grammar() {
    for ok in ["a", "acme_live", "acme2_test_eu1", "x1", &"a".repeat(32)] {
        assert!(Prefix::new(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "_a",
        "a_",
        "a__b",
        "Acme",
        "1acme",
        "acme-live",
        "acme_Live",
        &"a".repeat(33),
    ] {
        assert_eq!(Prefix::new(bad), Err(Error::InvalidPrefix), "{bad}");
    }
}

#[test]
fn error_messages_are_sentences_and_codes_are_distinct() {
    let id = SigningKey::from_seed(&[1; 32]).unwrap().key_id();
    let errors = [
        Error::Malformed(keyseal::Malformed::Checksum),
        Error::WrongPrefix,
        Error::UnsupportedVersion(2),
        Error::UnknownKey(id),
        Error::RetiredKey(id),
        Error::KeyOutsideValidity(id),
        Error::BadSignature,
        Error::Expired { expires_at: t(NOW) },
        Error::NotYetValid { valid_from: t(NOW) },
        Error::LifetimeTooLong {
            lifetime_secs: 2,
            max_secs: 1,
        },
        Error::MissingScope {
            required: "a:b".into(),
        },
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &errors {
        let msg = e.to_string();
        assert!(msg.len() > 10, "{msg}");
        assert!(codes.insert(e.code()), "duplicate code {}", e.code());
    }
    assert_eq!(
        Error::Expired { expires_at: t(NOW) }.to_string(),
        "key expired at 2026-11-18T11:06:40Z"
    );
    assert!(Error::UnknownKey(id).to_string().contains(&id.to_string()));
}
