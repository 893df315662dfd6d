//! The keyring: which public keys exist, and what each may be used for.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::fmt;

use crate::error::{Error, KeyringProblem};
use crate::key_id::KeyId;
use crate::keys::{PrecomputedKey, PublicKey};
use crate::timestamp::Timestamp;

/// The lifecycle state of a signing key.
///
/// A key is added as [`VerifyOnly`](KeyState::VerifyOnly) so that every edge learns it
/// before anything is signed with it, then promoted to [`Active`](KeyState::Active), then
/// [`Retired`](KeyState::Retired) once the keys it signed have expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyState {
    /// Signs new keys, and verifies. At most one key in a keyring is active.
    Active,
    /// Verifies keys it signed earlier (or will sign after promotion); signs nothing new.
    VerifyOnly,
    /// Verifies nothing; kept so that its keys are refused as retired, not as unknown.
    Retired,
}

impl KeyState {
    /// The lowercase name used in documents and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::VerifyOnly => "verify-only",
            KeyState::Retired => "retired",
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for KeyState {
    type Err = Error;
    fn from_str(s: &str) -> Result<KeyState, Error> {
        match s {
            "active" => Ok(KeyState::Active),
            "verify-only" => Ok(KeyState::VerifyOnly),
            "retired" => Ok(KeyState::Retired),
            _ => Err(Error::InvalidKeyState),
        }
    }
}

/// One public key in a keyring, with its state and optional validity window.
///
/// The entry of the active key, and those of at most [`Keyring::PRECOMPUTED_KEYS`]
/// verify-only keys, also hold the key's precomputed multiples, which make
/// [`KeyEntry::verify_strict`] faster than [`PublicKey::verify_strict`]: 80 KiB, built when
/// the key is added or promoted (about three verifications' time), shared by every clone of the
/// keyring, dropped when the key is retired. Which verify-only keys have them: those added
/// while fewer than the allowance had them (in a keyring document's case, the first by key
/// id), and a demoted active key, which keeps its own (see [`Keyring::promote`]).
#[derive(Clone)]
pub struct KeyEntry {
    public_key: PublicKey,
    state: KeyState,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    /// `None` for a retired key, and for verify-only keys past the keyring's allowance.
    precomputed: Option<Arc<PrecomputedKey>>,
}

/// Entries are equal when key, state and window are: the multiples follow from the key.
impl PartialEq for KeyEntry {
    fn eq(&self, other: &KeyEntry) -> bool {
        (self.public_key, self.state, self.not_before, self.not_after)
            == (
                other.public_key,
                other.state,
                other.not_before,
                other.not_after,
            )
    }
}

impl Eq for KeyEntry {}

impl fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEntry")
            .field("public_key", &self.public_key)
            .field("state", &self.state)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The key id.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.public_key.key_id()
    }

    /// The lifecycle state.
    #[must_use]
    pub fn state(&self) -> KeyState {
        self.state
    }

    /// Start of the validity window (inclusive), if any.
    #[must_use]
    pub fn not_before(&self) -> Option<Timestamp> {
        self.not_before
    }

    /// End of the validity window (exclusive), if any.
    #[must_use]
    pub fn not_after(&self) -> Option<Timestamp> {
        self.not_after
    }

    /// Whether keys signed by this key verify at `now`: it is not retired and
    /// `not_before <= now < not_after`.
    ///
    /// # Errors
    /// [`Error::RetiredKey`] or [`Error::KeyOutsideValidity`].
    pub fn check_usable_at(&self, now: Timestamp) -> Result<&PublicKey, Error> {
        if self.state == KeyState::Retired {
            return Err(Error::RetiredKey(self.key_id()));
        }
        if self.not_before.is_some_and(|nb| now < nb) || self.not_after.is_some_and(|na| now >= na)
        {
            return Err(Error::KeyOutsideValidity(self.key_id()));
        }
        Ok(&self.public_key)
    }

    /// Strict Ed25519 verification by this entry's key: exactly the verdict of
    /// [`PublicKey::verify_strict`]: with the key's precomputed multiples when the entry holds
    /// them, in about three quarters of the time (the root README's Performance section has
    /// the measurements), and by [`PublicKey::verify_strict`] itself when it does not. It checks the signature only:
    /// [`KeyEntry::check_usable_at`] says whether the key may verify at all.
    ///
    /// # Errors
    /// [`Error::BadSignature`] for any failure.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Error> {
        match &self.precomputed {
            Some(precomputed) => precomputed.verify_strict(message, signature),
            None => self.public_key.verify_strict(message, signature),
        }
    }

    /// Whether the entry holds its key's precomputed multiples.
    #[must_use]
    pub fn is_precomputed(&self) -> bool {
        self.precomputed.is_some()
    }

    fn precompute(&mut self) {
        if self.precomputed.is_none() {
            self.precomputed = Some(Arc::new(self.public_key.precompute()));
        }
    }
}

/// The set of public keys a verifier trusts, by key id, each with a [`KeyState`].
///
/// Keys signed by any key that is not retired (and within its validity window) verify;
/// the one [`Active`](KeyState::Active) key is the one an issuer signs with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    keys: BTreeMap<KeyId, KeyEntry>,
}

impl Keyring {
    /// At most how many verify-only keys a keyring holds precomputed multiples for (80 KiB
    /// each), besides the active key, which always has them: a keyring in rotation holds
    /// one or two verify-only keys, and the allowance bounds the memory of a keyring of
    /// thousands (a keyring document may list that many) at 17 × 80 KiB, however many keys
    /// are added and promoted. Verify-only keys past it verify by
    /// [`PublicKey::verify_strict`], with the same verdict and without the speed-up. A key
    /// that frees a place (retired or removed) does not give it to a key that has none.
    pub const PRECOMPUTED_KEYS: usize = 16;

    /// An empty keyring.
    #[must_use]
    pub fn new() -> Keyring {
        Keyring::default()
    }

    /// Adds a key in `state`. Adding an active key demotes the previous active key to
    /// verify-only, so keys it signed keep verifying.
    ///
    /// # Errors
    /// [`KeyringProblem::Duplicate`] if the key id is already present.
    pub fn add(&mut self, public_key: PublicKey, state: KeyState) -> Result<(), Error> {
        let id = public_key.key_id();
        if self.keys.contains_key(&id) {
            return Err(KeyringProblem::Duplicate(id).into());
        }
        if state == KeyState::Active {
            self.demote_active();
        }
        let mut entry = KeyEntry {
            public_key,
            state,
            not_before: None,
            not_after: None,
            precomputed: None,
        };
        if state == KeyState::Active
            || state == KeyState::VerifyOnly
                && self.precomputed_verify_only() < Self::PRECOMPUTED_KEYS
        {
            entry.precompute();
        }
        self.keys.insert(id, entry);
        Ok(())
    }

    /// Makes `id` the active signing key; the previous active key becomes verify-only. The
    /// new active key gets its precomputed multiples if it lacked them; the previous one
    /// keeps its own, and if that puts the verify-only keys over
    /// [`Keyring::PRECOMPUTED_KEYS`], another verify-only key (the first by key id) drops its.
    ///
    /// # Errors
    /// [`KeyringProblem::NotFound`], or [`KeyringProblem::Retired`] for a retired key.
    pub fn promote(&mut self, id: KeyId) -> Result<(), Error> {
        match self.keys.get(&id).map(|e| e.state) {
            None => Err(KeyringProblem::NotFound(id).into()),
            Some(KeyState::Retired) => Err(KeyringProblem::Retired(id).into()),
            Some(KeyState::Active) => Ok(()),
            Some(KeyState::VerifyOnly) => {
                self.demote_active();
                let entry = self.entry_mut(id)?;
                entry.state = KeyState::Active;
                entry.precompute();
                Ok(())
            }
        }
    }

    /// Retires `id`: keys it signed stop verifying. Retiring the active key leaves the
    /// keyring without one until another is promoted.
    ///
    /// # Errors
    /// [`KeyringProblem::NotFound`].
    pub fn retire(&mut self, id: KeyId) -> Result<(), Error> {
        let entry = self.entry_mut(id)?;
        entry.state = KeyState::Retired;
        entry.precomputed = None;
        Ok(())
    }

    /// Sets the validity window of `id`: keys it signed verify only while
    /// `not_before <= now < not_after`.
    ///
    /// # Errors
    /// [`KeyringProblem::NotFound`], or [`KeyringProblem::EmptyValidity`] when
    /// `not_after <= not_before`.
    pub fn set_validity(
        &mut self,
        id: KeyId,
        not_before: Option<Timestamp>,
        not_after: Option<Timestamp>,
    ) -> Result<(), Error> {
        if let (Some(nb), Some(na)) = (not_before, not_after) {
            if na <= nb {
                return Err(KeyringProblem::EmptyValidity(id).into());
            }
        }
        let entry = self.entry_mut(id)?;
        entry.not_before = not_before;
        entry.not_after = not_after;
        Ok(())
    }

    /// Removes `id` altogether: its keys then fail as signed by an unknown key.
    ///
    /// # Errors
    /// [`KeyringProblem::NotFound`].
    pub fn remove(&mut self, id: KeyId) -> Result<KeyEntry, Error> {
        self.keys
            .remove(&id)
            .ok_or_else(|| KeyringProblem::NotFound(id).into())
    }

    /// The entry for `id`.
    #[must_use]
    pub fn get(&self, id: KeyId) -> Option<&KeyEntry> {
        self.keys.get(&id)
    }

    /// The active signing key, if there is one.
    #[must_use]
    pub fn active(&self) -> Option<&KeyEntry> {
        self.keys.values().find(|e| e.state == KeyState::Active)
    }

    /// All entries, ordered by key id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &KeyEntry> {
        self.keys.values()
    }

    /// Number of keys, in any state.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyring holds no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The public key that verifies keys signed by `id` at `now`.
    ///
    /// # Errors
    /// [`Error::UnknownKey`], [`Error::RetiredKey`] or [`Error::KeyOutsideValidity`].
    pub fn key_for_verification(&self, id: KeyId, now: Timestamp) -> Result<&PublicKey, Error> {
        self.entry_for_verification(id, now)
            .map(KeyEntry::public_key)
    }

    /// The entry whose key verifies keys signed by `id` at `now`: as
    /// [`Keyring::key_for_verification`], with the entry's faster
    /// [`KeyEntry::verify_strict`].
    ///
    /// # Errors
    /// [`Error::UnknownKey`], [`Error::RetiredKey`] or [`Error::KeyOutsideValidity`].
    pub fn entry_for_verification(&self, id: KeyId, now: Timestamp) -> Result<&KeyEntry, Error> {
        let entry = self.keys.get(&id).ok_or(Error::UnknownKey(id))?;
        entry.check_usable_at(now)?;
        Ok(entry)
    }

    fn entry_mut(&mut self, id: KeyId) -> Result<&mut KeyEntry, Error> {
        self.keys
            .get_mut(&id)
            .ok_or_else(|| KeyringProblem::NotFound(id).into())
    }

    /// Verify-only entries that hold precomputed multiples (a demoted active key keeps its own).
    fn precomputed_verify_only(&self) -> usize {
        self.keys
            .values()
            .filter(|e| e.state == KeyState::VerifyOnly && e.is_precomputed())
            .count()
    }

    /// The active key becomes verify-only and keeps its multiples (it signed the keys most
    /// likely to be presented); if that puts one verify-only key too many over the
    /// allowance, another one (the first by key id) gives its multiples up.
    fn demote_active(&mut self) {
        let mut demoted = None;
        for e in self.keys.values_mut() {
            if e.state == KeyState::Active {
                e.state = KeyState::VerifyOnly;
                demoted = Some(e.key_id());
            }
        }
        if self.precomputed_verify_only() > Self::PRECOMPUTED_KEYS {
            let other = self.keys.values_mut().find(|e| {
                e.state == KeyState::VerifyOnly && e.is_precomputed() && Some(e.key_id()) != demoted
            });
            if let Some(e) = other {
                e.precomputed = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn pk(n: u8) -> PublicKey {
        SigningKey::from_seed(&[n; 32]).unwrap().public_key()
    }

    #[test]
    fn lifecycle() {
        let mut ring = Keyring::new();
        let (a, b) = (pk(1), pk(2));
        ring.add(a, KeyState::Active).unwrap();
        ring.add(b, KeyState::VerifyOnly).unwrap();
        assert_eq!(
            ring.add(a, KeyState::VerifyOnly),
            Err(Error::Keyring(KeyringProblem::Duplicate(a.key_id())))
        );
        assert_eq!(ring.active().map(KeyEntry::key_id), Some(a.key_id()));
        ring.promote(b.key_id()).unwrap();
        assert_eq!(ring.active().map(KeyEntry::key_id), Some(b.key_id()));
        assert_eq!(ring.get(a.key_id()).unwrap().state(), KeyState::VerifyOnly);
        ring.retire(a.key_id()).unwrap();
        assert_eq!(
            ring.promote(a.key_id()),
            Err(Error::Keyring(KeyringProblem::Retired(a.key_id())))
        );
        let now = Timestamp::from_unix(1_000).unwrap();
        assert_eq!(
            ring.key_for_verification(a.key_id(), now),
            Err(Error::RetiredKey(a.key_id()))
        );
        assert!(ring.key_for_verification(b.key_id(), now).is_ok());
        let c = pk(3);
        assert_eq!(
            ring.key_for_verification(c.key_id(), now),
            Err(Error::UnknownKey(c.key_id()))
        );
    }

    #[test]
    fn clones_share_the_multiples_and_entries_verify_with_or_without_them() {
        let sk = SigningKey::from_seed(&[5; 32]).unwrap();
        let mut ring = Keyring::new();
        ring.add(sk.public_key(), KeyState::VerifyOnly).unwrap();
        let copy = ring.clone();
        let entry = ring.get(sk.key_id()).unwrap();
        let copied = copy.get(sk.key_id()).unwrap();
        let (Some(ours), Some(theirs)) = (&entry.precomputed, &copied.precomputed) else {
            panic!("a verify-only key without multiples");
        };
        assert!(Arc::ptr_eq(ours, theirs), "the clone built its own");
        let signature = sk.sign_raw(b"message");
        let mut bare = entry.clone();
        bare.precomputed = None;
        for e in [entry, &bare] {
            assert_eq!(e.verify_strict(b"message", &signature), Ok(()));
            assert_eq!(
                e.verify_strict(b"massage", &signature),
                Err(Error::BadSignature)
            );
        }
        assert_eq!(ring, copy);
        let printed = format!("{entry:?}");
        assert!(printed.len() < 200, "{printed}");
    }

    #[test]
    fn the_multiples_follow_the_state_within_the_allowance() {
        let mut ring = Keyring::new();
        let extra = Keyring::PRECOMPUTED_KEYS + 3;
        let keys: Vec<PublicKey> = (1..).take(extra).map(pk).collect();
        for key in &keys {
            ring.add(*key, KeyState::VerifyOnly).unwrap();
        }
        let has =
            |ring: &Keyring, key: &PublicKey| ring.get(key.key_id()).unwrap().is_precomputed();
        let count = ring.iter().filter(|e| e.is_precomputed()).count();
        assert_eq!(count, Keyring::PRECOMPUTED_KEYS);
        let last = keys[extra - 1];
        assert!(!has(&ring, &last));
        // Promotion gives the key its multiples; the demoted key keeps its own.
        ring.promote(last.key_id()).unwrap();
        assert!(has(&ring, &last));
        ring.promote(keys[0].key_id()).unwrap();
        assert!(has(&ring, &last) && has(&ring, &keys[0]));
        ring.retire(last.key_id()).unwrap();
        assert!(!has(&ring, &last));
        // An active key always has them, however many verify-only keys do.
        let active = pk(200);
        ring.add(active, KeyState::Active).unwrap();
        assert!(has(&ring, &active));
        ring.add(pk(201), KeyState::Retired).unwrap();
        assert!(!has(&ring, &pk(201)));
    }

    #[test]
    fn promotions_keep_the_multiples_within_the_allowance() {
        let mut ring = Keyring::new();
        let keys: Vec<PublicKey> = (1..=40).map(pk).collect();
        for key in &keys {
            ring.add(*key, KeyState::VerifyOnly).unwrap();
        }
        for key in &keys {
            ring.promote(key.key_id()).unwrap();
            let active = ring.active().unwrap();
            assert!(active.is_precomputed());
            let verify_only = ring
                .iter()
                .filter(|e| e.state() == KeyState::VerifyOnly && e.is_precomputed())
                .count();
            assert!(verify_only <= Keyring::PRECOMPUTED_KEYS, "{verify_only}");
        }
        // The key demoted last kept its multiples.
        assert!(ring.get(keys[38].key_id()).unwrap().is_precomputed());
    }

    #[test]
    fn validity_window_is_half_open() {
        let mut ring = Keyring::new();
        let a = pk(1);
        ring.add(a, KeyState::VerifyOnly).unwrap();
        let t = |s| Timestamp::from_unix(s).unwrap();
        assert!(
            ring.set_validity(a.key_id(), Some(t(100)), Some(t(100)))
                .is_err()
        );
        ring.set_validity(a.key_id(), Some(t(100)), Some(t(200)))
            .unwrap();
        let outside = Err(Error::KeyOutsideValidity(a.key_id()));
        assert_eq!(ring.key_for_verification(a.key_id(), t(99)), outside);
        assert!(ring.key_for_verification(a.key_id(), t(100)).is_ok());
        assert!(ring.key_for_verification(a.key_id(), t(199)).is_ok());
        assert_eq!(ring.key_for_verification(a.key_id(), t(200)), outside);
    }
}
