//! Issuing keys.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::claims::{Claims, NewKey, TokenId};
use crate::error::{Error, KeyringProblem};
use crate::key_id::KeyId;
use crate::keyring::Keyring;
use crate::keys::{PublicKey, SigningKey};
use crate::revocation::RevocationListBuilder;
use crate::timestamp::{Clock, Timestamp};
use crate::wire::{self, Prefix};

/// Issues keys under one prefix with one signing key.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use core::time::Duration;
/// use keyseal::{Issuer, NewKey, Prefix, SigningKey};
///
/// let issuer = Issuer::new(Prefix::new("acme_live")?, SigningKey::generate()?);
/// let key = issuer.issue(
///     NewKey::for_app("app_7f3k9x2m")
///         .scope("orders:read")
///         .expires_in(Duration::from_secs(90 * 86_400)),
/// )?;
/// assert!(key.as_str().starts_with("acme_live_"));
/// # Ok(()) }
/// ```
pub struct Issuer {
    prefix: Prefix,
    key: SigningKey,
    clock: Option<Arc<dyn Clock>>,
}

impl Issuer {
    /// An issuer that signs with `key` under `prefix`, reading the system clock.
    #[must_use]
    pub fn new(prefix: Prefix, key: SigningKey) -> Issuer {
        Issuer {
            prefix,
            key,
            clock: None,
        }
    }

    /// An issuer that signs with whichever of `keys` is the keyring's active key.
    ///
    /// # Errors
    /// [`KeyringProblem::NoActiveKey`] if the keyring has none, or
    /// [`KeyringProblem::ActiveSecretMissing`] if no given key matches it.
    pub fn for_active_key(
        prefix: Prefix,
        keyring: &Keyring,
        keys: impl IntoIterator<Item = SigningKey>,
    ) -> Result<Issuer, Error> {
        let active = keyring
            .active()
            .ok_or(KeyringProblem::NoActiveKey)?
            .key_id();
        keys.into_iter()
            .find(|k| k.key_id() == active)
            .map(|key| Issuer::new(prefix, key))
            .ok_or_else(|| KeyringProblem::ActiveSecretMissing(active).into())
    }

    /// Reads the time from `clock` instead of the system clock in [`Issuer::issue`].
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Issuer {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The prefix keys are issued under.
    #[must_use]
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The id of the signing key.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The public key that verifies the issued keys.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs the revocation list `list` describes with this issuer's key, under its prefix,
    /// as of `now`: the signing service's usual way to publish a list, since the key that
    /// issues and the prefix the list must carry are already here.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::{Issuer, KeyState, Keyring, Prefix, RevocationList, RevocationListBuilder};
    /// use keyseal::{SigningKey, Timestamp};
    ///
    /// let issuer = Issuer::new(Prefix::new("acme_live")?, SigningKey::generate()?);
    /// let mut keyring = Keyring::new();
    /// keyring.add(issuer.public_key(), KeyState::Active)?;
    /// let now = Timestamp::now();
    /// let bytes = issuer.sign_revocation_list(&RevocationListBuilder::new(), now)?;
    /// let list = RevocationList::verify(&bytes, issuer.prefix(), &keyring, now)?;
    /// assert_eq!(list.sequence(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`RevocationListBuilder::sign`].
    pub fn sign_revocation_list(
        &self,
        list: &RevocationListBuilder,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        list.sign(&self.prefix, &self.key, now)
    }

    /// Issues a key now, with a random token id.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when the request breaks the grammar or limits, or has no
    /// expiry.
    #[cfg(feature = "std")]
    pub fn issue(&self, request: NewKey) -> Result<IssuedKey, Error> {
        self.issue_at(request, self.now())
    }

    /// Issues a key as of `now`, with a random token id.
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    #[cfg(feature = "std")]
    pub fn issue_at(&self, request: NewKey, now: Timestamp) -> Result<IssuedKey, Error> {
        self.issue_with_rng(request, now, &mut rand::rng())
    }

    /// Issues a key as of `now`, drawing the token id from `rng` (for `no_std`).
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub fn issue_with_rng<R: rand_core::CryptoRng + ?Sized>(
        &self,
        request: NewKey,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<IssuedKey, Error> {
        let token_id = match request.pinned_token_id() {
            Some(id) => id,
            None => TokenId::random_with(rng),
        };
        let claims = request.into_claims(now, token_id)?;
        let text = wire::encode(self.prefix.as_str(), self.key.key_id(), &claims, |m| {
            self.key.sign_raw(m)
        })?;
        Ok(IssuedKey {
            text,
            claims,
            key_id: self.key.key_id(),
        })
    }

    #[cfg(feature = "std")]
    fn now(&self) -> Timestamp {
        self.clock.as_ref().map_or_else(Timestamp::now, |c| c.now())
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A freshly issued key: its text (a bearer secret: hand it to the app once, store only
/// its token id) and the claims it carries.
///
/// `Debug` shows the prefix and claims but not the key text.
#[derive(Clone)]
pub struct IssuedKey {
    text: String,
    claims: Claims,
    key_id: KeyId,
}

impl IssuedKey {
    /// The key text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key text, by value.
    #[must_use]
    pub fn into_string(self) -> String {
        self.text
    }

    /// What the key says.
    #[must_use]
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The id of the key that signed it.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = wire::split_text(&self.text).map_or("", |(p, _)| p);
        f.debug_struct("IssuedKey")
            .field("text", &format_args!("{prefix}_<redacted>"))
            .field("claims", &self.claims)
            .field("key_id", &self.key_id)
            .finish()
    }
}
