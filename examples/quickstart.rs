//! keyseal in one run: make a throwaway signing key, issue an API key, verify it offline,
//! rotate the signing key, and show that an old key still verifies while a tampered one and
//! (after retirement) the old signer's keys are refused.
//!
//! ```text
//! cargo run --example quickstart
//! ```
#![allow(clippy::indexing_slicing)]

use core::time::Duration;

use keyseal::{
    Error, Issuer, KeyState, Keyring, NewKey, Prefix, SigningKey, UntrustedKey, Verifier,
};

fn main() -> Result<(), Error> {
    let prefix = Prefix::new("acme_live")?;
    let request = || {
        NewKey::for_app("app_7f3k9x2m")
            .scopes(["orders:read", "orders:write", "customers:read"])
            .expires_in(Duration::from_secs(90 * 86_400))
    };

    // --- Signing service: a throwaway signing key, published in the keyring as active.
    let first = SigningKey::generate()?;
    let first_id = first.key_id();
    println!(
        "1. signing key {first_id} (public key {})",
        first.public_key()
    );
    let mut keyring = Keyring::new();
    keyring.add(first.public_key(), KeyState::Active)?;
    let issuer = Issuer::new(prefix.clone(), first);
    let old_key = issuer.issue(request())?;
    println!(
        "2. issued a key for {} ({} characters):\n   {}",
        old_key.claims().app_id(),
        old_key.as_str().len(),
        old_key.as_str()
    );

    // --- Edge service: public keys only, no database.
    let verifier = Verifier::new(prefix.clone(), keyring.clone());
    let verified = verifier.verify(old_key.as_str())?;
    verified.require_scope("orders:read")?;
    println!("3. verified offline: {verified}");
    println!(
        "   grants orders:read: {}, billing:read: {}",
        verified.has_scope("orders:read"),
        verified.has_scope("billing:read")
    );

    // --- Rotation: publish the new key as verify-only, then promote it.
    let second = SigningKey::generate()?;
    let second_id = second.key_id();
    keyring.add(second.public_key(), KeyState::VerifyOnly)?;
    keyring.promote(second_id)?; // the first key becomes verify-only
    let verifier = verifier.with_keyring(keyring.clone());
    let issuer = Issuer::new(prefix, second);
    let new_key = issuer.issue(request())?;
    println!("4. rotated: {second_id} is active, {first_id} is verify-only");
    println!("   new key  -> {}", outcome(&verifier, new_key.as_str()));
    println!("   old key  -> {}", outcome(&verifier, old_key.as_str()));

    // --- Tampering: change one character in the middle of the key.
    let tampered = tamper(old_key.as_str());
    println!("5. tampered -> {}", outcome(&verifier, &tampered));
    // A forger who also fixes the checksum still cannot produce a valid signature.
    let forged = forge(old_key.as_str());
    println!("   forged   -> {}", outcome(&verifier, &forged));

    // --- Retiring the first key once its keys have expired (here: right away).
    keyring.retire(first_id)?;
    let verifier = verifier.with_keyring(keyring);
    println!("6. retired {first_id}:");
    println!("   old key  -> {}", outcome(&verifier, old_key.as_str()));
    println!("   new key  -> {}", outcome(&verifier, new_key.as_str()));

    // --- Inspect: what a key claims, without trusting it.
    let untrusted = UntrustedKey::parse(new_key.as_str())?;
    println!(
        "7. inspect (UNVERIFIED): prefix {}, signed by {}, app {}",
        untrusted.untrusted_prefix(),
        untrusted.untrusted_key_id(),
        untrusted.untrusted_claims()?.app_id()
    );
    Ok(())
}

fn outcome(verifier: &Verifier, key: &str) -> String {
    match verifier.verify(key) {
        Ok(v) => format!("valid (app {}, signed by {})", v.app_id(), v.key_id()),
        Err(e) => format!("refused: {e} [{}]", e.code()),
    }
}

/// Changes "orders:read" into "orders:reae" inside the key and recomputes the CRC-32, as a
/// forger who read FORMAT.md would.
fn forge(key: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let (prefix, body) = key.split_at("acme_live".len());
    let Ok(mut bytes) = Base64UrlUnpadded::decode_vec(&body[1..]) else {
        return key.to_string();
    };
    let n = bytes.len() - 4;
    if let Some(at) = bytes.windows(11).position(|w| w == b"orders:read") {
        bytes[at + 10] = b'e';
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(prefix.as_bytes());
    crc.update(b"_");
    crc.update(&bytes[..n]);
    bytes.truncate(n);
    bytes.extend_from_slice(&crc.finalize().to_be_bytes());
    format!("{prefix}_{}", Base64UrlUnpadded::encode_string(&bytes))
}

/// Replaces one character in the middle of the body with another base64url character.
fn tamper(key: &str) -> String {
    let mid = key.len() / 2;
    key.char_indices()
        .map(|(i, c)| match (i == mid, c) {
            (true, 'A') => 'B',
            (true, _) => 'A',
            (false, c) => c,
        })
        .collect()
}
