//! Signing key files (`DIR/keys/<key id>.pem`, mode 0600, never overwritten) and the keyring
//! the store's signing key rows describe.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use keyseal::{Issuer, KeyId, KeyState, Keyring, Prefix, SaveMode, SigningKey, Timestamp};

use crate::error::{Error, Result};
use crate::model::SigningKeyRecord;

/// A loaded secret key, as an issuer under each of the service's two prefixes.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Issues app keys and signs the revocation list.
    pub(crate) app: Issuer,
    /// Issues admin keys.
    pub(crate) admin: Issuer,
}

impl Loaded {
    fn new(key: SigningKey, prefix: &Prefix, admin_prefix: &Prefix) -> Result<Loaded> {
        let twin = SigningKey::from_seed(&key.to_seed())?;
        Ok(Loaded {
            app: Issuer::new(prefix.clone(), key),
            admin: Issuer::new(admin_prefix.clone(), twin),
        })
    }
}

/// The secret keys of this service, loaded from their files on first use and kept.
#[derive(Debug)]
pub(crate) struct KeyFiles {
    dir: PathBuf,
    prefix: Prefix,
    admin_prefix: Prefix,
    loaded: Mutex<HashMap<KeyId, Arc<Loaded>>>,
}

impl KeyFiles {
    pub(crate) fn new(data_dir: &Path, prefix: Prefix, admin_prefix: Prefix) -> KeyFiles {
        KeyFiles {
            dir: data_dir.join("keys"),
            prefix,
            admin_prefix,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, id: KeyId) -> PathBuf {
        self.dir.join(format!("{id}.pem"))
    }

    /// A new secret key, saved to its own file (refused if that file exists).
    pub(crate) fn create(&self) -> Result<Arc<Loaded>> {
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(&self.dir)
            .map_err(|e| Error::Setup(format!("cannot create {}: {e}", self.dir.display())))?;
        let key = SigningKey::generate()?;
        let id = key.key_id();
        key.save_pem_file(self.path(id), SaveMode::CreateNew)?;
        let loaded = Arc::new(Loaded::new(key, &self.prefix, &self.admin_prefix)?);
        self.loaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&loaded));
        Ok(loaded)
    }

    /// The secret key `id`, from memory or its file (another replica may have created it).
    pub(crate) fn get(&self, id: KeyId) -> Result<Arc<Loaded>> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = loaded.get(&id) {
            return Ok(Arc::clone(k));
        }
        let key = SigningKey::load_file(self.path(id))?;
        if key.key_id() != id {
            return Err(Error::Setup(format!(
                "key file {} holds another key",
                self.path(id).display()
            )));
        }
        let key = Arc::new(Loaded::new(key, &self.prefix, &self.admin_prefix)?);
        loaded.insert(id, Arc::clone(&key));
        Ok(key)
    }
}

/// The published keyring: every signing key with its state.
pub(crate) fn keyring(records: &[SigningKeyRecord]) -> Result<Keyring> {
    let mut ring = Keyring::new();
    for r in records {
        ring.add(r.public_key, r.state)?;
    }
    Ok(ring)
}

/// A keyring in which every key of the service verifies: for reading back lists this
/// service signed itself (the previous list may be signed by a key retired since).
pub(crate) fn trusting_keyring(records: &[SigningKeyRecord]) -> Result<Keyring> {
    let mut ring = Keyring::new();
    for r in records {
        ring.add(r.public_key, KeyState::VerifyOnly)?;
    }
    Ok(ring)
}

/// The active signing key's record.
pub(crate) fn active(records: &[SigningKeyRecord]) -> Result<&SigningKeyRecord> {
    records
        .iter()
        .find(|r| r.state == KeyState::Active)
        .ok_or_else(|| Error::Setup("the store has no active signing key".to_owned()))
}

/// A record for a key created now, in `state`.
pub(crate) fn new_record(key: &Loaded, state: KeyState, now: Timestamp) -> SigningKeyRecord {
    SigningKeyRecord {
        key_id: key.app.key_id(),
        public_key: key.app.public_key(),
        state,
        created_at: now,
        published_at: now,
        promoted_at: (state == KeyState::Active).then_some(now),
        retired_at: None,
    }
}
