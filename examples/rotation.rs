//! Rotating a signing key, step by step, as the README describes: generate the new key,
//! publish it as verify-only, promote it to active, and retire the old key once every key
//! it signed has expired. Runs on a simulated calendar so each step can be checked.
//!
//! `cargo run --example rotation`

use std::path::Path;
use std::time::Duration;

use keyseal::{
    Error, Issuer, KeyState, Keyring, NewKey, Prefix, SaveMode, SigningKey, Timestamp, Verifier,
    VerifierOptions,
};

const DAY: u64 = 86_400;
/// The longest lifetime the signing service gives a key; edges enforce it too.
const MAX_LIFETIME: Duration = Duration::from_secs(90 * DAY);

fn day(n: u64) -> Timestamp {
    // 2026-01-01T00:00:00Z plus `n` days; always in range.
    Timestamp::from_unix(1_767_225_600 + n * DAY).unwrap_or(Timestamp::MAX)
}

/// What an edge does whenever the published document changes: load and check it, and
/// verify with it. (A real edge keeps its previous keyring if loading fails.)
fn edge(published: &Path) -> Result<Verifier, Error> {
    let keyring = Keyring::load_json_file(published)?;
    let options = VerifierOptions::default().max_lifetime(MAX_LIFETIME);
    Ok(Verifier::new(Prefix::new("acme_live")?, keyring).with_options(options))
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
    edge(&published)?.verify_at(signed_by_old.as_str(), day(10))?;
    println!("day 10: signing with {}", old.key_id());

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
    let edge_now = edge(&published)?;
    edge_now.verify_at(signed_by_old.as_str(), promoted)?;
    edge_now.verify_at(signed_by_new.as_str(), promoted)?;
    println!("day 31: promoted {}; keys from both verify", new.key_id());

    // 4. Once every key the old key signed has expired (it last signed on day 31, and
    //    keys live at most 90 days), retire it, and destroy its secret.
    let retire_at = day(31 + 90 + 1);
    keyring.retire(old.key_id())?;
    keyring.save_json_file(&published, SaveMode::Replace)?;
    std::fs::remove_file(&old_file)?;
    let edge_now = edge(&published)?;
    let fresh = issuer.issue_at(request(), retire_at)?;
    edge_now.verify_at(fresh.as_str(), retire_at)?;
    // Keys the old key signed are now refused as signed by a retired key. They have all
    // expired by now; retiring early (an emergency: the old secret leaked) is the same
    // step, and refuses them at once. Their holders then need new keys.
    let early = edge_now.verify_at(signed_by_old.as_str(), day(40));
    assert_eq!(early.err(), Some(Error::RetiredKey(old.key_id())));
    println!("day 122: retired {}", old.key_id());

    println!("\nthe published keyring document:\n{}", keyring.to_json());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
