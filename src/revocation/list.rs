//! A verified revocation list, and the check a verifier makes against it.

use core::fmt;
use core::time::Duration;

use super::entries::{RevokedApp, RevokedSigner, RevokedToken};
use super::format::{Content, decode_payload, split};
use super::index::TokenIndex;
use crate::claims::Claims;
use crate::error::{Error, ListProblem, RevocationReason};
use crate::key_id::KeyId;
use crate::keyring::Keyring;
use crate::timestamp::{DEFAULT_CLOCK_LEEWAY, Timestamp};
use crate::wire::Prefix;

/// A verified revocation list, indexed for lookups that do not grow with its size.
///
/// Obtained only through [`RevocationList::verify`] (or a verifier update), so holding one
/// means its signature and form have been checked.
#[derive(Clone, PartialEq, Eq)]
pub struct RevocationList {
    prefix: Prefix,
    signer: KeyId,
    pub(super) content: Content,
    index: TokenIndex,
}

impl RevocationList {
    /// Checks and decodes list bytes: size, magic, issuer prefix, version, signer in
    /// `keyring` (usable at `now`), strict signature, canonical content, then an issue time
    /// no later than `now` plus 60 s (the default clock leeway; a [`Verifier`] applies its
    /// own `not_before_leeway`).
    ///
    /// # Errors
    /// [`Error::RevocationList`] naming the problem.
    ///
    /// [`Verifier`]: crate::Verifier
    pub fn verify(
        bytes: &[u8],
        prefix: &Prefix,
        keyring: &Keyring,
        now: Timestamp,
    ) -> Result<RevocationList, Error> {
        RevocationList::verify_with_leeway(bytes, prefix, keyring, now, DEFAULT_CLOCK_LEEWAY)
    }

    /// [`RevocationList::verify`] with a list issued up to `leeway` after `now` accepted.
    pub(crate) fn verify_with_leeway(
        bytes: &[u8],
        prefix: &Prefix,
        keyring: &Keyring,
        now: Timestamp,
        leeway: Duration,
    ) -> Result<RevocationList, Error> {
        let parts = split(bytes, prefix)?;
        let signer = parts.signer;
        let entry = keyring
            .entry_for_verification(signer, now)
            .map_err(|e| match e {
                Error::UnknownKey(id) => ListProblem::UnknownSigner(id),
                _ => ListProblem::SignerNotUsable(signer),
            })?;
        entry
            .verify_strict(parts.message, parts.signature)
            .map_err(|_| ListProblem::BadSignature)?;
        let content = decode_payload(parts.payload)?;
        if content.issued_at > now.saturating_add(leeway) {
            return Err(ListProblem::IssuedInFuture {
                issued_at: content.issued_at,
            }
            .into());
        }
        Ok(RevocationList {
            prefix: prefix.clone(),
            signer,
            index: TokenIndex::build(&content.tokens),
            content,
        })
    }

    /// The issuer prefix.
    #[must_use]
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The id of the key that signed it.
    #[must_use]
    pub fn signer(&self) -> KeyId {
        self.signer
    }

    /// The sequence number; each list has a higher one than the last.
    #[must_use]
    pub fn sequence(&self) -> u64 {
        self.content.sequence
    }

    /// When it was issued.
    #[must_use]
    pub fn issued_at(&self) -> Timestamp {
        self.content.issued_at
    }

    /// When it goes stale: from this time on, verifiers need a newer list.
    #[must_use]
    pub fn stale_after(&self) -> Timestamp {
        self.content.stale_after
    }

    /// Revoked token ids, sorted.
    #[must_use]
    pub fn tokens(&self) -> &[RevokedToken] {
        &self.content.tokens
    }

    /// "App issued before" entries, sorted.
    #[must_use]
    pub fn apps(&self) -> &[RevokedApp] {
        &self.content.apps
    }

    /// Revoked signing keys, sorted.
    #[must_use]
    pub fn signers(&self) -> &[RevokedSigner] {
        &self.content.signers
    }

    /// Whether this list revokes a key with `claims` signed by `signer`, at `now`.
    #[must_use]
    pub fn check(
        &self,
        claims: &Claims,
        signer: KeyId,
        now: Timestamp,
    ) -> Option<RevocationReason> {
        let in_effect = |e: Option<Timestamp>| e.is_none_or(|e| now >= e);
        if self.index.contains(&self.content.tokens, claims.token_id) {
            return Some(RevocationReason::Token);
        }
        let start = self.content.signers.partition_point(|s| s.key_id < signer);
        let signers = self.content.signers.get(start..).unwrap_or_default();
        if signers
            .iter()
            .take_while(|s| s.key_id == signer)
            .any(|s| in_effect(s.effective))
        {
            return Some(RevocationReason::Signer);
        }
        let app = claims.app_id.as_str();
        let start = self
            .content
            .apps
            .partition_point(|a| a.app_id.as_str() < app);
        self.content
            .apps
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|a| a.app_id == app)
            .find(|a| claims.issued_at < a.issued_before && in_effect(a.effective))
            .map(|a| RevocationReason::App {
                issued_before: a.issued_before,
            })
    }

    /// Bytes of memory held by the entries and the index (excluding the struct itself).
    #[must_use]
    pub fn heap_size(&self) -> usize {
        let apps: usize = self.content.apps.iter().map(|a| a.app_id.capacity()).sum();
        self.content.tokens.capacity() * core::mem::size_of::<RevokedToken>()
            + self.content.apps.capacity() * core::mem::size_of::<RevokedApp>()
            + apps
            + self.content.signers.capacity() * core::mem::size_of::<RevokedSigner>()
            + self.index.heap_size()
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("prefix", &self.prefix)
            .field("signer", &self.signer)
            .field("sequence", &self.content.sequence)
            .field("issued_at", &self.content.issued_at)
            .field("stale_after", &self.content.stale_after)
            .field("tokens", &self.content.tokens.len())
            .field("apps", &self.content.apps.len())
            .field("signers", &self.content.signers.len())
            .finish()
    }
}
