//! Rotating a signing key, step by step, as the README describes: generate the new key,
//! publish it as verify-only, promote it to active, re-sign the revocation list with it,
//! and retire the old key once every key it signed has expired. Runs on a simulated
//! calendar so each step can be checked.
//!
//! `cargo run --all-features --example rotation`

use std::path::Path;
use std::time::Duration;

use keyseal::{
    Error, Issuer, KeyState, Keyring, NewKey, Prefix, RevocationList, RevocationListBuilder,
    SaveMode, SigningKey, Timestamp, Verifier, VerifierOptions,
};

const DAY: u64 = 86_400;
/// The longest lifetime the signing service gives a key; edges enforce it too.
const MAX_LIFETIME: Duration = Duration::from_secs(90 * DAY);

fn day(n: u64) -> Timestamp {
    // 2026-01-01T00:00:00Z plus `n` days; always in range.
    Timestamp::from_unix(1_767_225_600 + n * DAY).unwrap_or(Timestamp::MAX)
}

/// What an edge does whenever the published documents change: load and check the keyring
/// and the revocation list, and verify with them. (A real edge keeps its previous keyring
/// and list if loading fails.)
fn edge(published: &Path, list: &[u8], now: Timestamp) -> Result<Verifier, Error> {
    let keyring = Keyring::load_json_file(published)?;
    let options = VerifierOptions::default().max_lifetime(MAX_LIFETIME);
    Verifier::new(Prefix::new("acme_live")?, keyring)
        .with_options(options)
        .update_revocations(list, now)
}

/// What the signing service does to publish a new list: build it on the current one (every
/// entry kept, the sequence one up), verified with the keyring, and sign it with the
/// active key.
fn next_list(
    issuer: &Issuer,
    keyring: &Keyring,
    current: &[u8],
    revoke: Option<&keyseal::IssuedKey>,
    now: Timestamp,
) -> Result<Vec<u8>, Error> {
    let previous = RevocationList::verify(current, issuer.prefix(), keyring, now)?;
    let mut next = RevocationListBuilder::from_previous(&previous);
    next.valid_for(Duration::from_secs(200 * DAY));
    if let Some(key) = revoke {
        next.revoke_claims(key.claims());
    }
    issuer.sign_revocation_list(&next, now)
}

/// What the signing service does at start-up: sign with whichever of its secret keys the
/// keyring says is active.
fn signing_service(keyring: &Keyring, key_files: &[&Path]) -> Result<Issuer, Error> {
    let keys = key_files
        .iter()
        .map(SigningKey::load_file)
        .collect::<Result<Vec<_>, _>>()?;
    Issuer::for_active_key(Prefix::new("acme_live")?, keyring, keys)
}

fn request() -> NewKey {
    NewKey::for_app("app_7f3k9x2m")
        .scope("orders:read")
        .expires_in(MAX_LIFETIME)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("keyseal-rotation-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (old_file, new_file) = (dir.join("signing-old.pem"), dir.join("signing-new.pem"));
    let published = dir.join("keyring.json");

    // Before: one key, active, published.
    let old = SigningKey::generate()?;
    old.save_pem_file(&old_file, SaveMode::CreateNew)?;
    let mut keyring = Keyring::new();
    keyring.add(old.public_key(), KeyState::Active)?;
    keyring.save_json_file(&published, SaveMode::CreateNew)?;
    let issuer = signing_service(&keyring, &[&old_file])?;
    let signed_by_old = issuer.issue_at(request(), day(10))?;
    let leaked = issuer.issue_at(request(), day(10))?;
    let mut first = RevocationListBuilder::new();
    first.valid_for(Duration::from_secs(200 * DAY));
    let list = issuer.sign_revocation_list(&first, day(10))?;
    let list = next_list(&issuer, &keyring, &list, Some(&leaked), day(10))?;
    let edge_now = edge(&published, &list, day(10))?;
    edge_now.verify_at(signed_by_old.as_str(), day(10))?;
    assert!(matches!(
        edge_now.verify_at(leaked.as_str(), day(10)),
        Err(Error::Revoked { .. })
    ));
    println!(
        "day 10: signing keys and the revocation list with {}",
        old.key_id()
    );

    // 1. Generate the new key, in its own file (mode 0600; never overwrites a key).
    let new = SigningKey::generate()?;
    new.save_pem_file(&new_file, SaveMode::CreateNew)?;
    println!("day 30: generated {}", new.key_id());

    // 2. Publish it as verify-only. Nothing is signed with it yet; wait until every edge
    //    has loaded this document.
    keyring.add(new.public_key(), KeyState::VerifyOnly)?;
    keyring.save_json_file(&published, SaveMode::Replace)?;
    let issuer = signing_service(&keyring, &[&old_file, &new_file])?;
    assert_eq!(issuer.key_id(), old.key_id());
    println!("day 30: published {} as verify-only", new.key_id());

    // 3. Promote it: the old key becomes verify-only, so what it signed keeps verifying.
    //    It signs nothing from now on, so every key it signed expires within MAX_LIFETIME:
    //    end its validity window there (plus a day of margin), and edges stop trusting it
    //    on their own even if step 4 is forgotten.
    let promoted = day(31);
    keyring.promote(new.key_id())?;
    keyring.set_validity(
        old.key_id(),
        None,
        Some(promoted.saturating_add(MAX_LIFETIME + Duration::from_secs(DAY))),
    )?;
    keyring.save_json_file(&published, SaveMode::Replace)?;
    let issuer = signing_service(&keyring, &[&old_file, &new_file])?;
    assert_eq!(issuer.key_id(), new.key_id());
    let signed_by_new = issuer.issue_at(request(), promoted)?;
    let edge_now = edge(&published, &list, promoted)?;
    edge_now.verify_at(signed_by_old.as_str(), promoted)?;
    edge_now.verify_at(signed_by_new.as_str(), promoted)?;
    println!("day 31: promoted {}; keys from both verify", new.key_id());

    // 4. Re-sign the revocation list with the new key (every entry kept, the sequence one
    //    up), before the old key is retired: edges refuse a list signed by a retired key.
    let list = next_list(&issuer, &keyring, &list, None, promoted)?;
    let resigned = RevocationList::verify(&list, issuer.prefix(), &keyring, promoted)?;
    assert_eq!(resigned.signer(), new.key_id());
    assert_eq!((resigned.sequence(), resigned.tokens().len()), (3, 1));
    println!(
        "day 31: re-signed the revocation list with {} (sequence {})",
        new.key_id(),
        resigned.sequence()
    );

    // 5. Once every key the old key signed has expired (it last signed on day 31, and
    //    keys live at most 90 days), retire it, and destroy its secret.
    let retire_at = day(31 + 90 + 1);
    keyring.retire(old.key_id())?;
    keyring.save_json_file(&published, SaveMode::Replace)?;
    std::fs::remove_file(&old_file)?;
    let list = next_list(&issuer, &keyring, &list, None, retire_at)?;
    let edge_now = edge(&published, &list, retire_at)?;
    let fresh = issuer.issue_at(request(), retire_at)?;
    edge_now.verify_at(fresh.as_str(), retire_at)?;
    // Keys the old key signed are now refused as signed by a retired key. They have all
    // expired by now; retiring early (an emergency: the old secret leaked) is the same
    // step, and refuses them at once. Their holders then need new keys.
    let early = edge_now.verify_at(signed_by_old.as_str(), day(40));
    assert_eq!(early.err(), Some(Error::RetiredKey(old.key_id())));
    // The list signed by the retired key would now be refused; the re-signed one is not.
    println!("day 122: retired {}", old.key_id());

    println!("\nthe published keyring document:\n{}", keyring.to_json());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
