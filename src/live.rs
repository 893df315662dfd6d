//! A verifier whose keyring and revocation list can be replaced while it serves.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use crate::error::Error;
use crate::keyring::Keyring;
use crate::revocation::RevocationList;
use crate::timestamp::Timestamp;
use crate::token::VerifiedKey;
use crate::verifier::Verifier;

/// A [`Verifier`] for long-running services: the keyring and the revocation list are
/// swapped atomically while other threads verify.
///
/// Every verification reads one immutable snapshot (prefix, keyring, list, options), so it
/// sees the old state or the new one, never a mix. Readers never block: a swap is a pointer
/// exchange ([`arc_swap`]). Updates are serialized with each other, and one that is refused
/// (forged, rolled back, another issuer's) leaves the state in force untouched.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use keyseal::{KeyState, Keyring, LiveVerifier, Prefix, RevocationListBuilder, SigningKey, Timestamp, Verifier};
///
/// let key = SigningKey::generate()?;
/// let mut keyring = Keyring::new();
/// keyring.add(key.public_key(), KeyState::Active)?;
/// let prefix = Prefix::new("acme_live")?;
/// let live = LiveVerifier::new(Verifier::new(prefix.clone(), keyring.clone()));
///
/// // Elsewhere, a refresh task:
/// let list = RevocationListBuilder::new().sign(&prefix, &key, Timestamp::now())?;
/// assert_eq!(live.update_revocations(&list)?, 1);
/// assert!(live.update_revocations(&list).is_err()); // a replay is refused
/// live.update_keyring(keyring);
/// # Ok(()) }
/// ```
pub struct LiveVerifier {
    current: ArcSwap<Verifier>,
    updates: Mutex<()>,
}

impl LiveVerifier {
    /// Starts serving with `verifier`'s prefix, keyring, list and options.
    #[must_use]
    pub fn new(verifier: Verifier) -> LiveVerifier {
        LiveVerifier {
            current: ArcSwap::from_pointee(verifier),
            updates: Mutex::new(()),
        }
    }

    /// Verifies `text` now against the current snapshot.
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub fn verify(&self, text: &str) -> Result<VerifiedKey, Error> {
        self.current.load().verify(text)
    }

    /// Verifies `text` as of `now` against the current snapshot.
    ///
    /// # Errors
    /// As [`Verifier::verify_at`].
    pub fn verify_at(&self, text: &str, now: Timestamp) -> Result<VerifiedKey, Error> {
        self.current.load().verify_at(text, now)
    }

    /// The current snapshot, for several verifications against one consistent state.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Verifier> {
        self.current.load_full()
    }

    /// Runs `f` on the current snapshot without taking a reference count on it: the hot path
    /// of a cache hit, which would otherwise pay for an `Arc` increment and decrement.
    #[cfg(feature = "cache")]
    pub(crate) fn with_current<R>(&self, f: impl FnOnce(&Verifier) -> R) -> R {
        f(&self.current.load())
    }

    /// Replaces the revocation list with the one in `bytes`, verified against the current
    /// keyring now; returns its sequence number.
    ///
    /// # Errors
    /// As [`Verifier::update_revocations`]; the list in force stays.
    pub fn update_revocations(&self, bytes: &[u8]) -> Result<u64, Error> {
        let _serialized = self.updates.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.current.load_full();
        let now = current.now()?;
        let next = current.update_revocations(bytes, now)?;
        let sequence = next.revocation_list().map_or(0, RevocationList::sequence);
        self.current.store(Arc::new(next));
        Ok(sequence)
    }

    /// Replaces the keyring. The revocation list in force stays: it was verified when it
    /// was loaded.
    pub fn update_keyring(&self, keyring: Keyring) {
        let _serialized = self.updates.lock().unwrap_or_else(PoisonError::into_inner);
        let next = self
            .current
            .load_full()
            .as_ref()
            .clone()
            .with_keyring(keyring);
        self.current.store(Arc::new(next));
    }

    /// Replaces the whole verifier (prefix, keyring, options, clock) at once, without ever
    /// rolling revocations back: for the same prefix, the high-water mark of list sequences
    /// carries over ([`Verifier::with_min_revocation_sequence`]), and when `verifier`
    /// carries no list or an older one than the list in force, the list in force stays.
    /// A `verifier` for another prefix (another issuer, with sequences of its own) is taken
    /// as it is.
    pub fn replace(&self, verifier: Verifier) {
        let _serialized = self.updates.lock().unwrap_or_else(PoisonError::into_inner);
        let next = verifier.succeeding(&self.current.load());
        self.current.store(Arc::new(next));
    }

    /// The highest revocation list sequence seen (see [`Verifier::revocation_high_water`]).
    /// A service that keeps a local copy of the list persists this beside it, and restores
    /// it after a restart with [`Verifier::with_min_revocation_sequence`], so that an older
    /// list (which would un-revoke keys) is refused then too.
    #[must_use]
    pub fn revocation_high_water(&self) -> Option<u64> {
        self.current.load().revocation_high_water()
    }
}

impl core::fmt::Debug for LiveVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("LiveVerifier")
            .field(&*self.current.load())
            .finish()
    }
}
