//! `keyseal keyring ...`: create, change and list keyring documents. Every change takes the
//! document's lock, loads the whole document (checking every rule), applies one operation
//! and replaces the file atomically, so concurrent changes take turns and none is lost.

use std::path::Path;

use keyseal::{Error, KeyEntry, KeyState, Keyring, PublicKey, SaveMode, Timestamp};
use serde_json::{Value, json};

use crate::cli::{KeyringCommand, PublicKeySource};
use crate::exit::{Exit, Failure};
use crate::files::{self, DocumentLock};
use crate::{input, output};

pub(crate) fn run(command: KeyringCommand) -> Result<Exit, Failure> {
    match command {
        KeyringCommand::Create {
            keyring,
            source,
            state,
        } => {
            let key = public_key(&source)?;
            let mut ring = Keyring::new();
            ring.add(key, state.into())
                .map_err(|e| Failure::new("cannot add the key", &e))?;
            files::remove_stale_temporaries(&keyring);
            save(&ring, &keyring, SaveMode::CreateNew)?;
            output::line(format_args!(
                "created {} with key {} ({})",
                output::path(&keyring),
                key.key_id(),
                KeyState::from(state)
            ))?;
        }
        KeyringCommand::Add {
            keyring,
            source,
            state,
        } => {
            let key = public_key(&source)?;
            let (ring, previous) = edit(&keyring, |ring| {
                let previous = ring.active().map(KeyEntry::key_id);
                ring.add(key, state.into()).map(|()| previous)
            })?;
            output::line(format_args!(
                "added {} to {} as {}",
                key.key_id(),
                output::path(&keyring),
                KeyState::from(state)
            ))?;
            demoted(previous, &ring)?;
        }
        KeyringCommand::Promote { keyring, kid } => {
            let (ring, previous) = edit(&keyring, |ring| {
                let previous = ring.active().map(KeyEntry::key_id);
                ring.promote(kid).map(|()| previous)
            })?;
            output::line(format_args!(
                "{kid} is now the active key in {}",
                output::path(&keyring)
            ))?;
            demoted(previous, &ring)?;
        }
        KeyringCommand::Retire { keyring, kid } => {
            let (ring, ()) = edit(&keyring, |ring| ring.retire(kid))?;
            output::line(format_args!(
                "{kid} is retired in {}",
                output::path(&keyring)
            ))?;
            if ring.active().is_none() {
                output::note(format_args!(
                    "{} has no active key now: promote one before issuing",
                    output::path(&keyring)
                ));
            }
        }
        KeyringCommand::SetValidity {
            keyring,
            kid,
            not_before,
            not_after,
            clear_not_before,
            clear_not_after,
        } => {
            let (_, (from, until)) = edit(&keyring, |ring| {
                // Only what is given changes; the other end keeps its value.
                let (old_from, old_until) = ring
                    .get(kid)
                    .map_or((None, None), |e| (e.not_before(), e.not_after()));
                let from = if clear_not_before {
                    None
                } else {
                    not_before.or(old_from)
                };
                let until = if clear_not_after {
                    None
                } else {
                    not_after.or(old_until)
                };
                ring.set_validity(kid, from, until).map(|()| (from, until))
            })?;
            output::line(format_args!(
                "{kid} in {} is valid from {} until {}",
                output::path(&keyring),
                output::time_or_dash(from),
                output::time_or_dash(until)
            ))?;
        }
        KeyringCommand::List { keyring, at, json } => {
            let ring = input::keyring(&keyring)?;
            list(&ring, at.unwrap_or_else(Timestamp::now), json)?;
        }
    }
    Ok(Exit::Ok)
}

/// The key to add, from a file or from text.
fn public_key(source: &PublicKeySource) -> Result<PublicKey, Failure> {
    match (&source.key, &source.public_key) {
        (Some(path), _) => input::public_key_file(path),
        (None, Some(text)) => {
            input::public_key_text(text).map_err(|e| Failure::new("cannot read --public-key", &e))
        }
        (None, None) => Err(Failure::other(
            Exit::Usage,
            "usage",
            "give the key with --key FILE or --public-key TEXT",
        )),
    }
}

/// One read-change-write of a keyring document, under its lock (see [`files`]): the
/// document is read after the lock is held, changed by `change`, and replaced atomically
/// before the lock is released. A symlink is written through to its target.
fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut Keyring) -> Result<T, Error>,
) -> Result<(Keyring, T), Failure> {
    let target = files::write_target(path)?;
    input::check_exists(&target, "keyring document")?;
    let _lock = DocumentLock::acquire(&target, files::KEYRING_LOCK_WAIT)?;
    files::remove_stale_temporaries(&target);
    let mut ring = input::keyring(&target)?;
    let out = change(&mut ring)
        .map_err(|e| Failure::new(format_args!("cannot change {}", output::path(path)), &e))?;
    save(&ring, &target, SaveMode::Replace)?;
    Ok((ring, out))
}

fn save(ring: &Keyring, path: &Path, mode: SaveMode) -> Result<(), Failure> {
    ring.save_json_file(path, mode).map_err(|e| match e {
        Error::KeyFileExists { .. } => Failure::other(
            Exit::Refused,
            "key_file_exists",
            format!(
                "{} already exists; keyseal does not replace it",
                output::path(path)
            ),
        ),
        _ => Failure::bare(&e),
    })
}

/// Notes that the previous active key became verify-only.
fn demoted(previous: Option<keyseal::KeyId>, ring: &Keyring) -> Result<(), Failure> {
    if let Some(previous) = previous {
        if ring.get(previous).map(KeyEntry::state) == Some(KeyState::VerifyOnly) {
            output::line(format_args!(
                "{previous} (previously active) is now verify-only"
            ))?;
        }
    }
    Ok(())
}

/// Whether keys signed by `entry` verify at `now`, in words.
fn usability(entry: &KeyEntry, now: Timestamp) -> &'static str {
    match entry.check_usable_at(now) {
        Ok(_) => "usable",
        Err(Error::RetiredKey(_)) => "retired",
        Err(_) if entry.not_before().is_some_and(|nb| now < nb) => "not yet valid",
        Err(_) => "validity ended",
    }
}

fn list(ring: &Keyring, now: Timestamp, json: bool) -> Result<(), Failure> {
    if json {
        let keys: Vec<Value> = ring
            .iter()
            .map(|e| {
                json!({
                    "kid": e.key_id().to_string(),
                    "public_key": e.public_key().to_text(),
                    "state": e.state().as_str(),
                    "not_before": output::time_json(e.not_before()),
                    "not_after": output::time_json(e.not_after()),
                    "usable": e.check_usable_at(now).is_ok(),
                    "status": usability(e, now),
                })
            })
            .collect();
        return output::json(&json!({ "at": now.to_string(), "keys": keys }));
    }
    output::line(format_args!(
        "{:<16}  {:<11}  {:<20}  {:<20}  AT {now}",
        "KID", "STATE", "NOT BEFORE", "NOT AFTER"
    ))?;
    for e in ring.iter() {
        output::line(format_args!(
            "{:<16}  {:<11}  {:<20}  {:<20}  {}",
            e.key_id().to_string(),
            e.state().as_str(),
            output::time_or_dash(e.not_before()),
            output::time_or_dash(e.not_after()),
            usability(e, now)
        ))?;
    }
    Ok(())
}
