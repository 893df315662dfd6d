//! The last good keyring document and revocation list, kept in a local directory so that a
//! restarted edge whose sources are down starts from them; and beside them the revocation
//! high-water mark (the highest list sequence the edge has applied), so that a restarted
//! edge refuses a rolled-back list even when its copy of the list is gone or older.
//!
//! Files: `keyring.json`, `revocations.bin`, and `revocations.high_water.json`
//! (`{"prefix": "<prefix>", "revocation_high_water": <sequence>}`), each written atomically.
//! The mark is written before the list it covers, so a crash between the two leaves a mark
//! at least as high as the list on disk.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use keyseal::{Keyring, MAX_KEYRING_DOCUMENT_LEN, MAX_LIST_BYTES, Prefix, SaveMode};

use crate::edge::{Document, Shared};
use crate::error::EdgeError;
use crate::fetch::{Fetched, read_file_if_changed};
use crate::status::Origin;

/// The digests of what was restored, so that the same documents served by the source
/// again count as unchanged rather than as a rollback.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    pub(crate) keyring: Option<[u8; 32]>,
    pub(crate) list: Option<[u8; 32]>,
}

fn file_name(doc: Document) -> &'static str {
    match doc {
        Document::Keyring => "keyring.json",
        Document::List => "revocations.bin",
    }
}

/// The file holding the revocation high-water mark.
const HIGH_WATER_FILE: &str = "revocations.high_water.json";

/// The longest mark file read: a prefix and a number fit in far less.
const MAX_HIGH_WATER_LEN: usize = 4096;

/// The revocation high-water mark saved in `dir` for `prefix`: `Ok(None)` when there is
/// none (no file, or a mark of another prefix, whose sequences are its own).
///
/// # Errors
/// [`EdgeError::Io`] when the file cannot be read, [`EdgeError::CorruptHighWater`] when it
/// does not hold a mark.
pub(crate) fn read_high_water(dir: &Path, prefix: &Prefix) -> Result<Option<u64>, EdgeError> {
    let body = match read_file_if_changed(&dir.join(HIGH_WATER_FILE), None, MAX_HIGH_WATER_LEN) {
        Ok(Fetched::Body { body, .. }) => body,
        Ok(Fetched::NotModified { .. }) | Err(EdgeError::Io(std::io::ErrorKind::NotFound)) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mark: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| EdgeError::CorruptHighWater)?;
    let saved_prefix = mark.get("prefix").and_then(serde_json::Value::as_str);
    let sequence = mark
        .get("revocation_high_water")
        .and_then(serde_json::Value::as_u64);
    match (saved_prefix, sequence) {
        (Some(p), Some(sequence)) if p == prefix.as_str() => Ok(Some(sequence)),
        (Some(_), Some(_)) => Ok(None),
        _ => Err(EdgeError::CorruptHighWater),
    }
}

/// The mark to start the verifier with, if the local copy holds one.
///
/// # Errors
/// As [`read_high_water`]: a mark that exists but cannot be read stops the start (fail
/// closed) rather than letting an older list through.
pub(crate) fn restore_high_water(
    dir: Option<&Path>,
    prefix: &Prefix,
) -> Result<Option<u64>, EdgeError> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let mark = read_high_water(dir, prefix).inspect_err(|e| {
        tracing::error!(reason = e.code(), error = %e, "local revocation high-water mark unreadable");
    })?;
    if let Some(sequence) = mark {
        tracing::info!(
            sequence,
            "revocation high-water mark restored from the local copy"
        );
    }
    Ok(mark)
}

fn high_water_json(prefix: &Prefix, sequence: u64) -> Vec<u8> {
    let mut text = serde_json::json!({
        "prefix": prefix.as_str(),
        "revocation_high_water": sequence,
    })
    .to_string();
    text.push('\n');
    text.into_bytes()
}

fn read(dir: &Path, doc: Document, limit: usize) -> Result<Option<Bytes>, EdgeError> {
    match read_file_if_changed(&dir.join(file_name(doc)), None, limit) {
        Ok(Fetched::Body { body, .. }) => Ok(Some(body)),
        Ok(Fetched::NotModified { .. }) => Ok(None),
        Err(EdgeError::Io(std::io::ErrorKind::NotFound)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Applies the keyring document, returning its digest.
pub(crate) fn apply_keyring(shared: &Shared, body: &[u8]) -> Result<[u8; 32], EdgeError> {
    let text = std::str::from_utf8(body).map_err(|_| EdgeError::NotUtf8)?;
    let keyring = Keyring::from_json(text)?;
    shared.live().update_keyring(keyring);
    Ok(crate::refresher::digest(body))
}

/// Loads the local copy into the verifier. A copy that fails to load is logged and
/// ignored: the sources decide then. The list goes through full verification against the
/// restored keyring; staleness is the verifier's policy, applied on every request.
pub(crate) fn restore(shared: &Shared) -> Restored {
    let mut restored = Restored::default();
    let Some(dir) = &shared.config.local_copy else {
        return restored;
    };
    match read(dir, Document::Keyring, MAX_KEYRING_DOCUMENT_LEN)
        .and_then(|b| b.map(|b| apply_keyring(shared, &b)).transpose())
    {
        Ok(Some(digest)) => {
            restored.keyring = Some(digest);
            shared.applied(Document::Keyring, Origin::LocalCopy);
            tracing::info!("keyring restored from the local copy");
        }
        Ok(None) => return restored,
        Err(e) => {
            tracing::warn!(reason = e.code(), error = %e, "local keyring copy not used");
            return restored;
        }
    }
    if !shared.has_list_source {
        return restored;
    }
    let list = read(dir, Document::List, MAX_LIST_BYTES).and_then(|b| {
        b.map(|b| {
            let sequence = shared.live().update_revocations(&b)?;
            Ok::<_, EdgeError>((crate::refresher::digest(&b), sequence))
        })
        .transpose()
    });
    match list {
        Ok(Some((digest, sequence))) => {
            restored.list = Some(digest);
            shared.applied(Document::List, Origin::LocalCopy);
            tracing::info!(sequence, "revocation list restored from the local copy");
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(reason = e.code(), error = %e, "local list copy not used"),
    }
    restored
}

/// Saves a document just applied, atomically (a crash leaves the old copy or the new one).
/// With a list, `high_water` (the verifier's mark after applying it) is saved first.
pub(crate) async fn save(
    dir: PathBuf,
    doc: Document,
    body: Bytes,
    high_water: Option<(&Prefix, u64)>,
) {
    let mark = high_water.map(|(prefix, sequence)| high_water_json(prefix, sequence));
    let result = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| EdgeError::Io(e.kind()))?;
        if let Some(mark) = mark {
            keyseal::write_file_atomically(dir.join(HIGH_WATER_FILE), &mark, SaveMode::Replace)
                .map_err(EdgeError::Refused)?;
        }
        keyseal::write_file_atomically(dir.join(file_name(doc)), &body, SaveMode::Replace)
            .map_err(EdgeError::Refused)
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(reason = e.code(), error = %e, "local copy not saved"),
        Err(_) => tracing::warn!("local copy not saved: the writer task failed"),
    }
}
