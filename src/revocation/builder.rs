//! Building and signing the next revocation list.

use alloc::collections::BTreeMap;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::time::Duration;

use super::entries::{RevokedApp, RevokedSigner, RevokedToken};
use super::format::{Content, encode_unsigned};
use super::list::RevocationList;
use crate::claims::{Claims, TokenId, check_app_id};
use crate::error::{Error, ListProblem};
use crate::key_id::KeyId;
use crate::keys::SigningKey;
use crate::limits::{MAX_LIST_BYTES, MAX_REVOKED_APPS, MAX_REVOKED_SIGNERS, MAX_REVOKED_TOKENS};
use crate::timestamp::Timestamp;
use crate::wire::Prefix;

/// Builds the next revocation list: the previous list's entries plus new ones, with the
/// sequence number bumped, and entries for keys that have expired anyway dropped.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use core::time::Duration;
/// use keyseal::{KeyState, Keyring, Prefix, RevocationList, RevocationListBuilder, SigningKey, Timestamp, TokenId};
///
/// let signer = SigningKey::generate()?;
/// let mut keyring = Keyring::new();
/// keyring.add(signer.public_key(), KeyState::Active)?;
/// let prefix = Prefix::new("acme_live")?;
/// let now = Timestamp::now();
///
/// let mut builder = RevocationListBuilder::new();
/// builder.revoke_token(TokenId::from_bytes([7; 16]), now.saturating_add(Duration::from_secs(3600)));
/// let bytes = builder.sign(&prefix, &signer, now)?;
///
/// let list = RevocationList::verify(&bytes, &prefix, &keyring, now)?;
/// assert_eq!(list.sequence(), 1);
/// let next = RevocationListBuilder::from_previous(&list).sign(&prefix, &signer, now)?;
/// assert_eq!(RevocationList::verify(&next, &prefix, &keyring, now)?.sequence(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RevocationListBuilder {
    sequence: u64,
    tokens: BTreeMap<TokenId, Timestamp>,
    apps: Vec<RevokedApp>,
    signers: Vec<RevokedSigner>,
    valid_for: Duration,
    prune_margin: Duration,
    max_key_lifetime: Option<Duration>,
}

impl Default for RevocationListBuilder {
    fn default() -> Self {
        RevocationListBuilder::new()
    }
}

impl RevocationListBuilder {
    /// The first list of an issuer (sequence 1), valid for a day, with no entries.
    #[must_use]
    pub fn new() -> RevocationListBuilder {
        RevocationListBuilder {
            sequence: 1,
            tokens: BTreeMap::new(),
            apps: Vec::new(),
            signers: Vec::new(),
            valid_for: Duration::from_secs(86_400),
            prune_margin: Duration::from_secs(86_400),
            max_key_lifetime: None,
        }
    }

    /// The list after `previous`: every entry of it, and the next sequence number.
    #[must_use]
    pub fn from_previous(previous: &RevocationList) -> RevocationListBuilder {
        let mut b = RevocationListBuilder::new();
        b.sequence = previous.content.sequence.saturating_add(1);
        b.tokens = previous
            .content
            .tokens
            .iter()
            .map(|t| (t.token_id, t.expires_at))
            .collect();
        b.apps.clone_from(&previous.content.apps);
        b.signers.clone_from(&previous.content.signers);
        b.valid_for = previous
            .content
            .stale_after
            .duration_since(previous.content.issued_at);
        b
    }

    /// Revokes one key by token id; `expires_at` is the key's expiry.
    pub fn revoke_token(&mut self, token_id: TokenId, expires_at: Timestamp) -> &mut Self {
        let e = self.tokens.entry(token_id).or_insert(expires_at);
        *e = (*e).max(expires_at);
        self
    }

    /// Revokes the key that carries `claims`.
    pub fn revoke_claims(&mut self, claims: &Claims) -> &mut Self {
        self.revoke_token(claims.token_id, claims.expires_at)
    }

    /// Revokes every key of `app_id` issued before `issued_before`, from `effective` on.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] if `app_id` breaks the app id grammar.
    pub fn revoke_app(
        &mut self,
        app_id: &str,
        issued_before: Timestamp,
        effective: Option<Timestamp>,
    ) -> Result<&mut Self, Error> {
        check_app_id(app_id)?;
        self.apps.push(RevokedApp {
            app_id: app_id.to_string(),
            issued_before,
            effective,
        });
        Ok(self)
    }

    /// Revokes every key signed by `key_id`, from `effective` on.
    pub fn revoke_signer(&mut self, key_id: KeyId, effective: Option<Timestamp>) -> &mut Self {
        self.signers.push(RevokedSigner { key_id, effective });
        self
    }

    /// How long after signing the list goes stale (default: one day, or the previous list's
    /// validity).
    pub fn valid_for(&mut self, d: Duration) -> &mut Self {
        self.valid_for = d;
        self
    }

    /// Token entries are dropped once the key expired more than this long ago (default: one
    /// day, well beyond any sane verifier leeway).
    pub fn prune_margin(&mut self, d: Duration) -> &mut Self {
        self.prune_margin = d;
        self
    }

    /// The longest lifetime this issuer gives keys. When set, "app issued before T" entries
    /// are dropped once every key they cover has expired (`T + lifetime + margin`).
    pub fn max_key_lifetime(&mut self, d: Duration) -> &mut Self {
        self.max_key_lifetime = Some(d);
        self
    }

    /// The sequence number the signed list will carry.
    #[must_use]
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Prunes, canonicalizes and signs the list as of `now`; returns its bytes.
    ///
    /// # Errors
    /// [`ListProblem::TooManyEntries`] or [`ListProblem::TooLarge`] past the limits,
    /// [`ListProblem::BadTimes`] if the validity is zero or runs past the last timestamp.
    pub fn sign(
        &self,
        prefix: &Prefix,
        key: &SigningKey,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        let stale_after = now
            .checked_add(self.valid_for)
            .filter(|&s| s > now)
            .ok_or(ListProblem::BadTimes)?;
        let keep_token = |exp: Timestamp| exp.saturating_add(self.prune_margin) > now;
        let tokens: Vec<RevokedToken> = self
            .tokens
            .iter()
            .filter(|&(_, &exp)| keep_token(exp))
            .map(|(&token_id, &expires_at)| RevokedToken {
                token_id,
                expires_at,
            })
            .collect();
        let mut apps = self.apps.clone();
        if let Some(lifetime) = self.max_key_lifetime {
            apps.retain(|a| {
                a.issued_before
                    .saturating_add(lifetime)
                    .saturating_add(self.prune_margin)
                    > now
            });
        }
        apps.sort();
        apps.dedup();
        let mut signers = self.signers.clone();
        signers.sort();
        signers.dedup();
        if tokens.len() > MAX_REVOKED_TOKENS
            || apps.len() > MAX_REVOKED_APPS
            || signers.len() > MAX_REVOKED_SIGNERS
        {
            return Err(ListProblem::TooManyEntries.into());
        }
        let content = Content {
            sequence: self.sequence,
            issued_at: now,
            stale_after,
            tokens,
            apps,
            signers,
        };
        let mut out = encode_unsigned(prefix, key.key_id(), &content)?;
        let signature = key.sign_raw(&out);
        out.extend_from_slice(&signature);
        if out.len() > MAX_LIST_BYTES {
            return Err(ListProblem::TooLarge.into());
        }
        Ok(out)
    }
}
