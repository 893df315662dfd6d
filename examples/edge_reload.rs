//! An edge service that picks up a new keyring and revocation list without a restart.
//!
//! The signing service publishes two files (here, into a temporary directory; in production,
//! behind a URL or on shared storage): the keyring document and the signed revocation list.
//! The edge verifies requests on worker threads through one `CachedVerifier` while a reload
//! thread polls the files and swaps in what changed. A forged or rolled-back list is refused
//! and the one in force stays. This is the shape tower/axum middleware takes: the verifier
//! behind an `Arc` in the service, the reload loop as a background task.
//!
//! `cargo run --example edge_reload --features cache`

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use keyseal::{
    CachedVerifier, Error, Issuer, KeyState, Keyring, LiveVerifier, NewKey, Prefix, RevocationList,
    RevocationListBuilder, SaveMode, SigningKey, Timestamp, Verifier, write_file_atomically,
};

/// The edge's reload loop: whenever a published file's modification time changes, load it
/// and swap it in. A file that fails to load or verify is reported and the state in force
/// stays.
struct Reloader {
    verifier: Arc<CachedVerifier>,
    keyring: PathBuf,
    list: PathBuf,
    seen: [Option<SystemTime>; 2],
}

impl Reloader {
    fn poll(&mut self) {
        if changed(&self.keyring, &mut self.seen[0]).is_some() {
            match Keyring::load_json_file(&self.keyring) {
                Ok(keyring) => {
                    self.verifier.live().update_keyring(keyring);
                    println!("edge: keyring reloaded");
                }
                Err(e) => println!("edge: keyring refused, keeping the current one: {e}"),
            }
        }
        if changed(&self.list, &mut self.seen[1]).is_some() {
            let result = fs::read(&self.list)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    self.verifier
                        .live()
                        .update_revocations(&bytes)
                        .map_err(|e| e.to_string())
                });
            match result {
                Ok(sequence) => println!("edge: revocation list {sequence} in force"),
                Err(e) => println!("edge: revocation list refused, keeping the current one: {e}"),
            }
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The file's modification time if it differs from the one seen last.
fn changed(path: &Path, seen: &mut Option<SystemTime>) -> Option<SystemTime> {
    let now = modified(path)?;
    (Some(now) != *seen).then(|| {
        *seen = Some(now);
        now
    })
}

/// Waits (up to two seconds) until verifying `key` at the edge gives the expected outcome.
fn eventually(
    edge: &CachedVerifier,
    key: &str,
    expected: impl Fn(&Result<keyseal::VerifiedKey, Error>) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let outcome = edge.verify(key);
        if expected(&outcome) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the edge still answers {outcome:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Publishes a file the way a signing service must: atomically, so that an edge never
/// reads half of it. Each publication gets a later modification time than the one before
/// (file systems with coarse timestamps would otherwise hide a quick second change).
fn publish(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::thread::sleep(Duration::from_millis(20));
    write_file_atomically(path, bytes, SaveMode::Replace)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("keyseal-edge-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let (keyring_path, list_path) = (dir.join("keyring.json"), dir.join("revoked.bin"));
    let prefix = Prefix::new("acme_live")?;

    // Signing service: one active key, a keyring, an empty first list.
    let issuer = Issuer::new(prefix.clone(), SigningKey::generate()?);
    let mut keyring = Keyring::new();
    keyring.add(issuer.public_key(), KeyState::Active)?;
    keyring.save_json_file(&keyring_path, SaveMode::CreateNew)?;
    let first = issuer.sign_revocation_list(&RevocationListBuilder::new(), Timestamp::now())?;
    publish(&list_path, &first)?;
    let request = NewKey::for_app("app_7f3k9x2m")
        .scope("orders:read")
        .expires_in(Duration::from_secs(90 * 86_400));
    let key = issuer.issue(request.clone())?;

    // Edge: starts from the published files, then reloads them in the background.
    let start = Verifier::new(prefix.clone(), Keyring::load_json_file(&keyring_path)?)
        .update_revocations(&fs::read(&list_path)?, Timestamp::now())?;
    let edge = Arc::new(CachedVerifier::new(LiveVerifier::new(start), 10_000));
    let stop = Arc::new(AtomicBool::new(false));
    let reload = {
        // The edge started from the files as they are now: only later changes are news.
        let mut reloader = Reloader {
            verifier: Arc::clone(&edge),
            seen: [modified(&keyring_path), modified(&list_path)],
            keyring: keyring_path.clone(),
            list: list_path.clone(),
        };
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                reloader.poll();
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    // Requests on two worker threads, while the files change under them.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (edge, stop, key) = (Arc::clone(&edge), Arc::clone(&stop), key.clone());
            std::thread::spawn(move || {
                let mut answered = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let _verdict = edge.verify(key.as_str());
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    edge.verify(key.as_str())?.require_scope("orders:read")?;
    println!("edge: key of app {} verifies", key.claims().app_id());

    // 1. The key leaks: the signing service revokes it; the edge refuses it within a poll.
    let current = RevocationList::verify(&first, &prefix, &keyring, Timestamp::now())?;
    let mut next = RevocationListBuilder::from_previous(&current);
    next.revoke_claims(key.claims());
    let second = issuer.sign_revocation_list(&next, Timestamp::now())?;
    publish(&list_path, &second)?;
    eventually(&edge, key.as_str(), |r| {
        matches!(r, Err(Error::Revoked { .. }))
    })?;
    println!("edge: the revoked key is refused, also from the cache");

    // 2. Someone serves the old list again (a rollback) or a corrupted one: both are refused
    //    and the key stays revoked.
    publish(&list_path, &first)?;
    publish(&list_path, b"not a revocation list")?;
    std::thread::sleep(Duration::from_millis(100));
    assert!(matches!(
        edge.verify(key.as_str()),
        Err(Error::Revoked { .. })
    ));
    println!("edge: the key is still refused");

    // 3. Rotation: the signing service publishes its next key as verify-only (README,
    //    "Rotating a signing key"). A key signed with it early shows the moment the edge
    //    learns it: unknown before the reload, valid after, which is when promoting the new
    //    key becomes safe.
    let next_issuer = Issuer::new(prefix, SigningKey::generate()?);
    let new_key = next_issuer.issue(request)?;
    assert!(matches!(
        edge.verify(new_key.as_str()),
        Err(Error::UnknownKey(_))
    ));
    keyring.add(next_issuer.public_key(), KeyState::VerifyOnly)?;
    publish(&keyring_path, keyring.to_json().as_bytes())?;
    eventually(&edge, new_key.as_str(), Result::is_ok)?;
    println!("edge: a key from the new signing key verifies after the keyring reload");

    stop.store(true, Ordering::Relaxed);
    reload.join().map_err(|_| "reload thread panicked")?;
    let answered: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    println!("edge: {answered} requests answered on two worker threads meanwhile, no restart");
    fs::remove_dir_all(&dir)?;
    Ok(())
}
