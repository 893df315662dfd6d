//! The last good keyring document and revocation list, kept in a local directory so that a
//! restarted edge whose sources are down starts from them.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use keyseal::{Keyring, MAX_KEYRING_DOCUMENT_LEN, MAX_LIST_BYTES, SaveMode};

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
pub(crate) async fn save(dir: PathBuf, doc: Document, body: Bytes) {
    let result = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| EdgeError::Io(e.kind()))?;
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
