//! What the public types print, pinned exactly: `Debug` and `Display` of keys and verifiers
//! show ids, prefixes, counts and claims, and never a key text, a signature or a secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use core::time::Duration;

use keyseal::{
    CachedVerifier, FixedClock, Issuer, KeyState, Keyring, LiveVerifier, NewKey, Prefix,
    RevocationListBuilder, SigningKey, Timestamp, TokenId, UntrustedKey, Verifier,
};

const NOW: u64 = 1_795_000_000;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix(s).unwrap()
}

fn signer() -> SigningKey {
    SigningKey::from_seed(&[1; 32]).unwrap()
}

fn key() -> String {
    Issuer::new(Prefix::new("acme_live").unwrap(), signer())
        .issue_at(
            NewKey::for_app("app_7f3k9x2m")
                .scopes(["orders:read", "orders:write"])
                .expires_in(Duration::from_secs(3600))
                .token_id(TokenId::from_bytes([0xab; 16])),
            t(NOW),
        )
        .unwrap()
        .into_string()
}

fn verifier() -> Verifier {
    let mut ring = Keyring::new();
    ring.add(signer().public_key(), KeyState::Active).unwrap();
    Verifier::new(Prefix::new("acme_live").unwrap(), ring).with_clock(FixedClock(t(NOW + 10)))
}

/// Nothing of the key text's body, the seed or the secret key text.
fn assert_secret_free(printed: &str, text: &str) {
    let body = &text["acme_live_".len()..];
    for i in (0..body.len() - 12).step_by(4) {
        assert!(!printed.contains(&body[i..i + 12]), "{printed}");
    }
    let secret = signer().to_text();
    assert!(
        !printed.contains(&secret.expose_secret()[18..40]),
        "{printed}"
    );
    assert!(!printed.contains("keyseal-secret"), "{printed}");
    assert!(!printed.contains("0101010101"), "{printed}");
}

#[test]
fn untrusted_key_prints_its_unverified_prefix_and_signer_only() {
    let text = key();
    let untrusted = UntrustedKey::parse(&text).unwrap();
    let kid = signer().key_id();
    let debug = format!("{untrusted:?}");
    assert_eq!(
        debug,
        format!(
            "UntrustedKey {{ untrusted_prefix: \"acme_live\", untrusted_key_id: KeyId({kid}), .. }}"
        )
    );
    assert_secret_free(&debug, &text);
}

#[test]
fn verified_key_prints_its_claims_and_no_key_text() {
    let text = key();
    let verified = verifier().verify(&text).unwrap();
    let kid = signer().key_id();
    let display = verified.to_string();
    assert_eq!(
        display,
        format!(
            "app app_7f3k9x2m scopes [orders:read orders:write] issued 2026-11-18T11:06:40Z expires 2026-11-18T12:06:40Z token {} key {kid}",
            "ab".repeat(16)
        )
    );
    let debug = format!("{verified:?}");
    assert_eq!(
        debug,
        PINNED_VERIFIED_DEBUG.replace("{kid}", &kid.to_string())
    );
    assert_secret_free(&display, &text);
    assert_secret_free(&debug, &text);
}

const PINNED_VERIFIED_DEBUG: &str = r#"VerifiedKey { claims: Claims { app_id: "app_7f3k9x2m", scopes: ["orders:read", "orders:write"], issued_at: Timestamp(2026-11-18T11:06:40Z), expires_at: Timestamp(2026-11-18T12:06:40Z), not_before: None, token_id: TokenId(abababababababababababababababab), extensions: [] }, key_id: KeyId({kid}), revocation: None }"#;

#[test]
fn live_and_cached_verifiers_print_their_state_not_their_keys() {
    let text = key();
    let live = LiveVerifier::new(verifier());
    let list = RevocationListBuilder::new()
        .sign(&Prefix::new("acme_live").unwrap(), &signer(), t(NOW))
        .unwrap();
    live.update_revocations(&list).unwrap();
    let in_force = live.snapshot().revocation_list().unwrap().clone();
    assert_eq!(
        format!("{in_force:?}"),
        format!(
            "RevocationList {{ prefix: Prefix(acme_live), signer: KeyId({}), sequence: 1, issued_at: Timestamp(2026-11-18T11:06:40Z), stale_after: Timestamp(2026-11-19T11:06:40Z), tokens: 0, apps: 0, signers: 0 }}",
            signer().key_id()
        )
    );
    let debug = format!("{live:?}");
    assert_eq!(debug, format!("LiveVerifier({VERIFIER_DEBUG})"));
    let cached = CachedVerifier::new(live, 100);
    cached.verify(&text).unwrap();
    let debug = format!("{cached:?}");
    assert_eq!(
        debug,
        format!(
            "CachedVerifier {{ live: LiveVerifier({VERIFIER_DEBUG}), entries: 1, capacity: 100 }}"
        )
    );
    assert_secret_free(&debug, &text);
}

const VERIFIER_DEBUG: &str = "Verifier { prefix: Prefix(acme_live), keys: 1, revocation_list: Some(1), revocation_high_water: Some(1), options: VerifierOptions { expiry_leeway: 60s, not_before_leeway: 60s, max_lifetime: None, on_stale_list: Reject, max_list_age: None, without_list: Allow }, .. }";
