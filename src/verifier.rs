//! Offline verification of keys with a keyring.

use alloc::sync::Arc;
use core::fmt;
use core::time::Duration;

use crate::claims::Claims;
use crate::error::{Error, ListProblem};
use crate::key_id::KeyId;
use crate::keyring::{KeyEntry, Keyring};
use crate::revocation::RevocationList;
use crate::timestamp::{Clock, DEFAULT_CLOCK_LEEWAY, Timestamp};
use crate::token::{RevocationStatus, VerifiedKey};
use crate::wire::{self, BUF_LEN, Prefix, RawKey, VERSION};

/// Time rules a [`Verifier`] applies. Secure defaults: 60 s of leeway each way, no maximum
/// lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifierOptions {
    /// A key still verifies until `expires_at + expiry_leeway` (exclusive).
    pub expiry_leeway: Duration,
    /// A key already verifies from `max(issued_at, not_before) - not_before_leeway`
    /// (inclusive), to tolerate clocks running behind the issuer's. A revocation list
    /// issued more than this after `now` is refused
    /// ([`ListProblem::IssuedInFuture`](crate::ListProblem::IssuedInFuture)).
    pub not_before_leeway: Duration,
    /// Keys whose lifetime (`expires_at - issued_at`) exceeds this are refused.
    pub max_lifetime: Option<Duration>,
    /// What to do once the revocation list is stale. Default: refuse every key.
    pub on_stale_list: StalePolicy,
    /// A revocation list older than this (since its issue) counts as stale, even before its
    /// own stale-after time.
    pub max_list_age: Option<Duration>,
    /// What to do while no revocation list is loaded. Default: verify without one.
    pub without_list: MissingListPolicy,
}

/// What a verifier does once its revocation list is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StalePolicy {
    /// Refuse every key with [`Error::RevocationListStale`] until a newer list is loaded
    /// (fail closed).
    #[default]
    Reject,
    /// Keep verifying against the stale list and say so in
    /// [`RevocationStatus::stale`] (fail open, observable).
    AcceptAndReport,
}

/// What a verifier does while it has no revocation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingListPolicy {
    /// Verify without revocation: for deployments that do not publish lists.
    #[default]
    Allow,
    /// Refuse every key with [`Error::NoRevocationList`] until a list is loaded.
    Reject,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions {
            expiry_leeway: DEFAULT_CLOCK_LEEWAY,
            not_before_leeway: DEFAULT_CLOCK_LEEWAY,
            max_lifetime: None,
            on_stale_list: StalePolicy::default(),
            max_list_age: None,
            without_list: MissingListPolicy::default(),
        }
    }
}

impl VerifierOptions {
    /// Sets [`VerifierOptions::expiry_leeway`].
    #[must_use]
    pub fn expiry_leeway(mut self, d: Duration) -> Self {
        self.expiry_leeway = d;
        self
    }

    /// Sets [`VerifierOptions::not_before_leeway`].
    #[must_use]
    pub fn not_before_leeway(mut self, d: Duration) -> Self {
        self.not_before_leeway = d;
        self
    }

    /// Sets [`VerifierOptions::max_lifetime`].
    #[must_use]
    pub fn max_lifetime(mut self, d: Duration) -> Self {
        self.max_lifetime = Some(d);
        self
    }

    /// Sets [`VerifierOptions::on_stale_list`].
    #[must_use]
    pub fn on_stale_list(mut self, policy: StalePolicy) -> Self {
        self.on_stale_list = policy;
        self
    }

    /// Sets [`VerifierOptions::max_list_age`].
    #[must_use]
    pub fn max_list_age(mut self, d: Duration) -> Self {
        self.max_list_age = Some(d);
        self
    }

    /// Sets [`VerifierOptions::without_list`].
    #[must_use]
    pub fn without_list(mut self, policy: MissingListPolicy) -> Self {
        self.without_list = policy;
        self
    }

    /// Checks the times of decoded claims at `now`.
    fn check_times(&self, claims: &Claims, now: Timestamp) -> Result<(), Error> {
        let lifetime = claims.expires_at.duration_since(claims.issued_at);
        if let Some(max) = self.max_lifetime {
            if lifetime > max {
                return Err(Error::LifetimeTooLong {
                    lifetime_secs: lifetime.as_secs(),
                    max_secs: max.as_secs(),
                });
            }
        }
        // `now < exp + leeway` in exact arithmetic: the sum is not capped at Timestamp::MAX,
        // so a key expiring at the last instant is still valid then (FORMAT.md §1.9 step 10).
        let expired = claims
            .expires_at
            .as_unix()
            .checked_add(self.expiry_leeway.as_secs())
            .is_some_and(|end| now.as_unix() >= end);
        if expired {
            return Err(Error::Expired {
                expires_at: claims.expires_at,
            });
        }
        let valid_from = claims.not_before.unwrap_or(claims.issued_at);
        if now < valid_from.saturating_sub(self.not_before_leeway) {
            return Err(Error::NotYetValid { valid_from });
        }
        Ok(())
    }
}

/// Verifies keys offline against a keyring, for one prefix.
///
/// `Send + Sync` and cheap to clone (the keyring is shared), so one verifier serves every
/// thread of an edge service.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use core::time::Duration;
/// use keyseal::{Issuer, KeyState, Keyring, NewKey, Prefix, SigningKey, Verifier};
///
/// let signing_key = SigningKey::generate()?;
/// let mut keyring = Keyring::new();
/// keyring.add(signing_key.public_key(), KeyState::Active)?;
/// let prefix = Prefix::new("acme_live")?;
///
/// let issuer = Issuer::new(prefix.clone(), signing_key);
/// let key = issuer.issue(
///     NewKey::for_app("app_7f3k9x2m")
///         .scope("orders:*")
///         .expires_in(Duration::from_secs(3600)),
/// )?;
///
/// let verifier = Verifier::new(prefix, keyring);
/// let verified = verifier.verify(key.as_str())?;
/// verified.require_scope("orders:read")?;
/// assert_eq!(verified.app_id(), "app_7f3k9x2m");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    prefix: Prefix,
    keyring: Arc<Keyring>,
    revocations: Option<Arc<RevocationList>>,
    /// No list with a lower sequence is accepted (0: no floor beyond the list in force).
    revocation_floor: u64,
    options: VerifierOptions,
    clock: Option<Arc<dyn Clock>>,
}

impl Verifier {
    /// A verifier for keys with `prefix` signed by keys in `keyring`, with default options
    /// and the system clock.
    #[must_use]
    pub fn new(prefix: Prefix, keyring: Keyring) -> Verifier {
        Verifier {
            prefix,
            keyring: Arc::new(keyring),
            revocations: None,
            revocation_floor: 0,
            options: VerifierOptions::default(),
            clock: None,
        }
    }

    /// Replaces the time rules.
    #[must_use]
    pub fn with_options(mut self, options: VerifierOptions) -> Verifier {
        self.options = options;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Verifier {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The same verifier with another keyring.
    #[must_use]
    pub fn with_keyring(mut self, keyring: Keyring) -> Verifier {
        self.keyring = Arc::new(keyring);
        self
    }

    /// The same verifier with the revocation list in `bytes`, checked against this
    /// verifier's prefix and keyring at `now`. Refuses a list whose sequence number is not
    /// newer than the one in force; a refused update changes nothing.
    ///
    /// # Errors
    /// [`Error::RevocationList`] naming the problem.
    pub fn update_revocations(&self, bytes: &[u8], now: Timestamp) -> Result<Verifier, Error> {
        let list = RevocationList::verify_with_leeway(
            bytes,
            &self.prefix,
            &self.keyring,
            now,
            self.options.not_before_leeway,
        )?;
        self.with_revocation_list(list)
    }

    /// The same verifier with an already verified revocation list (for example one checked
    /// by [`RevocationList::verify`]). Refuses another issuer's list and rollbacks: a list
    /// whose sequence is not above the list in force, or below the minimum of
    /// [`Verifier::with_min_revocation_sequence`].
    ///
    /// # Errors
    /// [`Error::RevocationList`] with [`ListProblem::WrongIssuer`] or
    /// [`ListProblem::Rollback`].
    pub fn with_revocation_list(&self, list: RevocationList) -> Result<Verifier, Error> {
        if list.prefix() != &self.prefix {
            return Err(ListProblem::WrongIssuer.into());
        }
        let offered = list.sequence();
        if let Some(current) = &self.revocations {
            if offered <= current.sequence() {
                return Err(ListProblem::Rollback {
                    current: current.sequence(),
                    offered,
                }
                .into());
            }
        }
        if offered < self.revocation_floor {
            return Err(ListProblem::Rollback {
                current: self.revocation_floor,
                offered,
            }
            .into());
        }
        let mut next = self.clone();
        next.revocations = Some(Arc::new(list));
        Ok(next)
    }

    /// The same verifier, refusing every revocation list with a sequence below `sequence`
    /// as a rollback: how a service restores, after a restart, the high-water mark it
    /// persisted from [`Verifier::revocation_high_water`] (or
    /// [`LiveVerifier::revocation_high_water`](crate::LiveVerifier::revocation_high_water)).
    ///
    /// The list with exactly that sequence is still accepted, once (it is the one already
    /// seen, such as a local copy kept beside the mark); after it, the usual rule holds:
    /// each list strictly newer than the one in force. The minimum only ever rises (a lower
    /// `sequence` than the current mark changes nothing), and the list in force, if any,
    /// stays.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::{KeyState, Keyring, LiveVerifier, Prefix, RevocationListBuilder, SigningKey, Timestamp, Verifier};
    ///
    /// let key = SigningKey::generate()?;
    /// let mut keyring = Keyring::new();
    /// keyring.add(key.public_key(), KeyState::Active)?;
    /// let prefix = Prefix::new("acme_live")?;
    /// let old = RevocationListBuilder::new().sign(&prefix, &key, Timestamp::now())?;
    ///
    /// // Restarting with the mark persisted before the restart (say 7): list 1 is a rollback.
    /// let live = LiveVerifier::new(Verifier::new(prefix, keyring).with_min_revocation_sequence(7));
    /// assert_eq!(live.revocation_high_water(), Some(7));
    /// assert!(live.update_revocations(&old).is_err());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_min_revocation_sequence(mut self, sequence: u64) -> Verifier {
        self.revocation_floor = self.revocation_floor.max(sequence);
        self
    }

    /// The highest revocation list sequence this verifier has seen or been told of: the list
    /// in force, or the minimum of [`Verifier::with_min_revocation_sequence`], whichever is
    /// higher; `None` when there is neither. Persist it to refuse older lists after a
    /// restart.
    #[must_use]
    pub fn revocation_high_water(&self) -> Option<u64> {
        let list = self.revocations.as_ref().map(|l| l.sequence());
        let floor = (self.revocation_floor > 0).then_some(self.revocation_floor);
        list.max(floor)
    }

    /// `self` as the successor of `previous` (for [`LiveVerifier::replace`]): for the same
    /// prefix, the high-water mark carries over, and the newer of the two lists stays in
    /// force, so a replacement can never roll revocations back. Another prefix is another
    /// issuer, whose sequences are its own: `self` is taken as it is.
    ///
    /// [`LiveVerifier::replace`]: crate::LiveVerifier::replace
    #[cfg(feature = "std")]
    pub(crate) fn succeeding(mut self, previous: &Verifier) -> Verifier {
        if self.prefix != previous.prefix {
            return self;
        }
        self.revocation_floor = self
            .revocation_floor
            .max(previous.revocation_high_water().unwrap_or(0));
        let ours = self.revocations.as_ref().map_or(0, |l| l.sequence());
        if let Some(theirs) = &previous.revocations {
            if self.revocations.is_none() || theirs.sequence() > ours {
                self.revocations = Some(Arc::clone(theirs));
            }
        }
        self
    }

    /// The revocation list in force, if any.
    #[must_use]
    pub fn revocation_list(&self) -> Option<&RevocationList> {
        self.revocations.as_deref()
    }

    /// The prefix this verifier accepts.
    #[must_use]
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The keyring.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The time rules.
    #[must_use]
    pub fn options(&self) -> &VerifierOptions {
        &self.options
    }

    /// Verifies `text` now.
    ///
    /// # Errors
    /// Any verification failure; see [`Verifier::verify_at`].
    pub fn verify(&self, text: &str) -> Result<VerifiedKey, Error> {
        self.verify_at(text, self.now()?)
    }

    /// The time from the configured clock, or the system clock.
    pub(crate) fn now(&self) -> Result<Timestamp, Error> {
        match &self.clock {
            Some(c) => Ok(c.now()),
            #[cfg(feature = "std")]
            None => Ok(Timestamp::now()),
            #[cfg(not(feature = "std"))]
            None => Err(Error::NoClock),
        }
    }

    /// Verifies `text` as of `now`, in this order: length, prefix, base64url, checksum,
    /// version, key id in the keyring, strict Ed25519 signature over exactly the received
    /// bytes, canonical payload, then times. Nothing from the payload is read before the
    /// signature has verified.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::WrongPrefix`], [`Error::UnsupportedVersion`],
    /// [`Error::UnknownKey`], [`Error::RetiredKey`], [`Error::KeyOutsideValidity`],
    /// [`Error::BadSignature`], [`Error::LifetimeTooLong`], [`Error::Expired`] or
    /// [`Error::NotYetValid`].
    pub fn verify_at(&self, text: &str, now: Timestamp) -> Result<VerifiedKey, Error> {
        let mut buf = [0u8; BUF_LEN];
        let (raw, entry) = self.prepare(text, now, &mut buf)?;
        entry.verify_strict(raw.message, raw.signature)?;
        self.complete(&raw, now)
    }

    /// Everything before the signature check: length, prefix, decoding, checksum, version
    /// and key lookup. Returns the decoded key and the keyring entry to check it with.
    pub(crate) fn prepare<'b>(
        &self,
        text: &str,
        now: Timestamp,
        buf: &'b mut [u8; BUF_LEN],
    ) -> Result<(RawKey<'b>, &KeyEntry), Error> {
        let (prefix, body) = self.split_own_prefix(text)?;
        let raw = wire::decode(prefix, body, buf)?;
        if raw.version != VERSION {
            return Err(Error::UnsupportedVersion(raw.version));
        }
        let entry = self.keyring.entry_for_verification(raw.key_id, now)?;
        Ok((raw, entry))
    }

    /// Steps 1 and 2 of `FORMAT.md` §1.9: the length limit, the split into prefix and body,
    /// and the prefix must be this verifier's. The one prefix rule of a full verification
    /// and of a cache hit's re-check: a text that merely starts with `<prefix>_` (as
    /// `acme_live_…` starts with `acme_`) is another issuer's key.
    fn split_own_prefix<'t>(&self, text: &'t str) -> Result<(&'t str, &'t str), Error> {
        let (prefix, body) = wire::split_text(text)?;
        if prefix != self.prefix.as_str() {
            return Err(Error::WrongPrefix);
        }
        Ok((prefix, body))
    }

    /// The prefix rule of [`split_own_prefix`](Self::split_own_prefix), for a text that a
    /// verification already split (so its length and grammar are known to be good): without
    /// splitting it again. §1.1 splits at the first `_` not followed by `[a-z0-9]`; every
    /// `_` inside a valid prefix is followed by one, so the split gives this verifier's
    /// prefix exactly when the text is `<prefix>_` followed by a character outside `[a-z0-9]`.
    #[cfg(feature = "cache")]
    fn is_own_prefix_of_verified(&self, text: &str) -> bool {
        let rest = text
            .as_bytes()
            .strip_prefix(self.prefix.as_str().as_bytes());
        matches!(rest, Some([b'_', next, ..]) if !(next.is_ascii_lowercase() || next.is_ascii_digit()))
    }

    /// Everything after the signature check, which the caller must have done: payload
    /// decoding, time rules and revocation.
    pub(crate) fn complete(&self, raw: &RawKey<'_>, now: Timestamp) -> Result<VerifiedKey, Error> {
        let claims = wire::decode_payload(raw.payload)?;
        self.options.check_times(&claims, now)?;
        let revocation = self.check_revocation(&claims, raw.key_id, now)?;
        Ok(VerifiedKey {
            claims: Arc::new(claims),
            key_id: raw.key_id,
            revocation,
        })
    }

    /// Re-checks, at `now`, a key that an earlier snapshot fully verified: everything that
    /// can change without the key text changing. The prefix (split as a full verification
    /// splits it), the signer's standing in the keyring, the time rules and the revocation
    /// list are all read from this verifier.
    #[cfg(feature = "cache")]
    pub(crate) fn recheck(
        &self,
        text: &str,
        claims: &Arc<Claims>,
        key_id: KeyId,
        now: Timestamp,
    ) -> Result<VerifiedKey, Error> {
        if !self.is_own_prefix_of_verified(text) {
            return Err(Error::WrongPrefix);
        }
        self.keyring.key_for_verification(key_id, now)?;
        self.options.check_times(claims, now)?;
        let revocation = self.check_revocation(claims, key_id, now)?;
        Ok(VerifiedKey {
            claims: Arc::clone(claims),
            key_id,
            revocation,
        })
    }

    /// Consults the revocation list in force, applying the staleness policy.
    pub(crate) fn check_revocation(
        &self,
        claims: &Claims,
        key_id: KeyId,
        now: Timestamp,
    ) -> Result<Option<RevocationStatus>, Error> {
        let Some(list) = self.revocations.as_deref() else {
            return match self.options.without_list {
                MissingListPolicy::Allow => Ok(None),
                MissingListPolicy::Reject => Err(Error::NoRevocationList),
            };
        };
        let stale_since = match self.options.max_list_age {
            Some(age) => list.stale_after().min(list.issued_at().saturating_add(age)),
            None => list.stale_after(),
        };
        let stale = now >= stale_since;
        if stale && self.options.on_stale_list == StalePolicy::Reject {
            return Err(Error::RevocationListStale {
                stale_since,
                list_sequence: list.sequence(),
            });
        }
        if let Some(reason) = list.check(claims, key_id, now) {
            return Err(Error::Revoked {
                reason,
                list_sequence: list.sequence(),
            });
        }
        Ok(Some(RevocationStatus {
            sequence: list.sequence(),
            stale,
        }))
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("prefix", &self.prefix)
            .field("keys", &self.keyring.len())
            .field(
                "revocation_list",
                &self.revocations.as_ref().map(|l| l.sequence()),
            )
            .field("revocation_high_water", &self.revocation_high_water())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn verifier_is_send_sync() {
        assert_send_sync::<Verifier>();
        assert_send_sync::<VerifiedKey>();
    }
}
