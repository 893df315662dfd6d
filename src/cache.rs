//! Cached verification of repeated keys.

use alloc::boxed::Box;
use alloc::sync::Arc;

use crate::claims::Claims;
use crate::error::Error;
use crate::key_id::KeyId;
use crate::limits::MAX_KEY_LEN;
use crate::live::LiveVerifier;
use crate::timestamp::Timestamp;
use crate::token::VerifiedKey;
use crate::verifier::Verifier;

/// Remembers keys it has fully verified, so that a client presenting the same key on every
/// request costs a hash lookup instead of a signature check, while nothing it has not
/// verified is ever trusted.
///
/// - **Only fully verified keys enter**, keyed by their complete text: a different string
///   can never hit another key's entry.
/// - **Every hit is re-checked** against the current state of the wrapped
///   [`LiveVerifier`]: the prefix, the signing key's standing in the keyring (unknown,
///   retired, outside its window), expiry and not-before with the current options, and the
///   revocation list in force (and its staleness). A keyring or list swap therefore takes
///   effect on cached entries at once. Only the work that cannot change without the text
///   changing (decoding, checksum and the Ed25519 signature) is skipped.
/// - **An entry never outlives its key**: a hit that fails any check (expired, revoked, …)
///   removes the entry.
/// - **Bounded memory**: at most `capacity` entries, each holding the key text and its
///   claims (for a typical key, about 220 bytes of text and the 219 bytes of claims that
///   `docs/limits.md` measures) plus the cache's bookkeeping. When full, eviction follows
///   `quick_cache`'s S3-FIFO policy: keys seen only once are evicted before keys seen again,
///   so a flood of keys presented once does not flush the keys in use (forged keys never
///   enter at all).
/// - **Concurrent**: `Send + Sync`, sharded internally; share it behind an `Arc`.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use core::time::Duration;
/// use keyseal::{CachedVerifier, Issuer, KeyState, Keyring, LiveVerifier, NewKey, Prefix, SigningKey, Verifier};
///
/// let signer = SigningKey::generate()?;
/// let mut keyring = Keyring::new();
/// keyring.add(signer.public_key(), KeyState::Active)?;
/// let prefix = Prefix::new("acme_live")?;
/// let key = Issuer::new(prefix.clone(), signer)
///     .issue(NewKey::for_app("app").scope("orders:read").expires_in(Duration::from_secs(3600)))?;
///
/// let cached = CachedVerifier::new(LiveVerifier::new(Verifier::new(prefix, keyring)), 10_000);
/// cached.verify(key.as_str())?; // full verification, then cached
/// cached.verify(key.as_str())?.require_scope("orders:read")?; // a hit, re-checked
/// # Ok(()) }
/// ```
pub struct CachedVerifier {
    live: LiveVerifier,
    entries: quick_cache::sync::Cache<Box<str>, Arc<Entry>>,
}

/// What a cache entry remembers of a fully verified key.
struct Entry {
    claims: Arc<Claims>,
    key_id: KeyId,
}

impl CachedVerifier {
    /// Caches up to `capacity` keys verified by `live`. Update the keyring and revocation
    /// list through [`CachedVerifier::live`].
    #[must_use]
    pub fn new(live: LiveVerifier, capacity: usize) -> CachedVerifier {
        CachedVerifier {
            live,
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// The live verifier underneath, for keyring and revocation list updates.
    #[must_use]
    pub fn live(&self) -> &LiveVerifier {
        &self.live
    }

    /// Verifies `text` now (from the verifier's clock).
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub fn verify(&self, text: &str) -> Result<VerifiedKey, Error> {
        self.live.with_current(|snapshot| {
            let now = snapshot.now()?;
            self.verify_with(snapshot, text, now)
        })
    }

    /// Verifies `text` as of `now`.
    ///
    /// # Errors
    /// As [`Verifier::verify_at`].
    pub fn verify_at(&self, text: &str, now: Timestamp) -> Result<VerifiedKey, Error> {
        self.live
            .with_current(|snapshot| self.verify_with(snapshot, text, now))
    }

    fn verify_with(
        &self,
        snapshot: &Verifier,
        text: &str,
        now: Timestamp,
    ) -> Result<VerifiedKey, Error> {
        if let Some(entry) = self.entries.get(text) {
            let result = snapshot.recheck(text, &entry.claims, entry.key_id, now);
            if result.is_err() {
                self.entries.remove(text);
            }
            return result;
        }
        let verified = snapshot.verify_at(text, now)?;
        if text.len() <= MAX_KEY_LEN {
            self.entries.insert(
                Box::from(text),
                Arc::new(Entry {
                    claims: Arc::clone(&verified.claims),
                    key_id: verified.key_id,
                }),
            );
        }
        Ok(verified)
    }

    /// Whether `text` is cached: its next verification is a hit (re-checked as every hit
    /// is). Looking does not count as a use for eviction.
    #[must_use]
    pub fn contains(&self, text: &str) -> bool {
        self.entries.contains_key(text)
    }

    /// Number of cached keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every cached key.
    pub fn clear(&self) {
        self.entries.clear();
    }
}

impl core::fmt::Debug for CachedVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedVerifier")
            .field("live", &self.live)
            .field("entries", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .finish()
    }
}
