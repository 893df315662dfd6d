//! Offline verification of keys with a keyring.

use alloc::sync::Arc;
use core::fmt;
use core::time::Duration;

use crate::error::Error;
use crate::token::VerifiedKey;
use crate::wire::{self, BUF_LEN, RawKey, VERSION};
use crate::{Claims, Clock, Keyring, Prefix, PublicKey, Timestamp};

/// Time rules a [`Verifier`] applies. Secure defaults: 60 s of leeway each way, no maximum
/// lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifierOptions {
    /// A key still verifies until `expires_at + expiry_leeway` (exclusive).
    pub expiry_leeway: Duration,
    /// A key already verifies from `max(issued_at, not_before) - not_before_leeway`
    /// (inclusive), to tolerate clocks running behind the issuer's.
    pub not_before_leeway: Duration,
    /// Keys whose lifetime (`expires_at - issued_at`) exceeds this are refused.
    pub max_lifetime: Option<Duration>,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions {
            expiry_leeway: Duration::from_secs(60),
            not_before_leeway: Duration::from_secs(60),
            max_lifetime: None,
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
        if now >= claims.expires_at.saturating_add(self.expiry_leeway) {
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

    /// The time from the clock, or the system clock when there is none.
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
        let (raw, public_key) = self.prepare(text, now, &mut buf)?;
        public_key.verify_strict(raw.message, raw.signature)?;
        self.complete(&raw, now)
    }

    /// Everything before the signature check: length, prefix, decoding, checksum, version
    /// and key lookup. Returns the decoded key and the public key to check it with.
    pub(crate) fn prepare<'b>(
        &self,
        text: &str,
        now: Timestamp,
        buf: &'b mut [u8; BUF_LEN],
    ) -> Result<(RawKey<'b>, &PublicKey), Error> {
        let (prefix, body) = wire::split_text(text)?;
        if prefix != self.prefix.as_str() {
            return Err(Error::WrongPrefix);
        }
        let raw = wire::decode(prefix, body, buf)?;
        if raw.version != VERSION {
            return Err(Error::UnsupportedVersion(raw.version));
        }
        let public_key = self.keyring.key_for_verification(raw.key_id, now)?;
        Ok((raw, public_key))
    }

    /// Everything after the signature check, which the caller must have done: payload
    /// decoding and time rules.
    pub(crate) fn complete(&self, raw: &RawKey<'_>, now: Timestamp) -> Result<VerifiedKey, Error> {
        let claims = wire::decode_payload(raw.payload)?;
        self.options.check_times(&claims, now)?;
        Ok(VerifiedKey {
            claims,
            key_id: raw.key_id,
        })
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("prefix", &self.prefix)
            .field("keys", &self.keyring.len())
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
