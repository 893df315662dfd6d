//! The two faces of a received key: untrusted (parsed, not verified) and verified.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::claims::{self, Claims, TokenId, check_scope};
use crate::error::Error;
use crate::key_id::KeyId;
use crate::timestamp::Timestamp;
use crate::wire::{self, BUF_LEN, VERSION};

/// Which revocation list a key was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationStatus {
    /// The list's sequence number.
    pub sequence: u64,
    /// Whether the list was stale (only with [`StalePolicy::AcceptAndReport`](crate::StalePolicy::AcceptAndReport)).
    pub stale: bool,
}

/// A key that has been parsed (length, prefix, base64url, checksum, version) but **not
/// verified**. Everything it says may be forged: use it to display a key (`inspect`) or to
/// choose which verifier to hand the text to, never to authorize.
#[derive(Clone)]
pub struct UntrustedKey {
    prefix: String,
    key_id: KeyId,
    payload: Vec<u8>,
}

impl UntrustedKey {
    /// Parses key text without verifying it.
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::UnsupportedVersion`].
    pub fn parse(text: &str) -> Result<UntrustedKey, Error> {
        let (prefix, body) = wire::split_text(text)?;
        let mut buf = [0u8; BUF_LEN];
        let raw = wire::decode(prefix, body, &mut buf)?;
        if raw.version != VERSION {
            return Err(Error::UnsupportedVersion(raw.version));
        }
        Ok(UntrustedKey {
            prefix: prefix.to_string(),
            key_id: raw.key_id,
            payload: raw.payload.to_vec(),
        })
    }

    /// The prefix the key claims. Unverified.
    #[must_use]
    pub fn untrusted_prefix(&self) -> &str {
        &self.prefix
    }

    /// The id of the key that supposedly signed it. Unverified.
    #[must_use]
    pub fn untrusted_key_id(&self) -> KeyId {
        self.key_id
    }

    /// The claims, decoded without checking the signature. Unverified.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the payload is not canonical or breaks the grammar.
    pub fn untrusted_claims(&self) -> Result<Claims, Error> {
        Ok(wire::decode_payload(&self.payload)?)
    }
}

impl fmt::Debug for UntrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedKey")
            .field("untrusted_prefix", &self.prefix)
            .field("untrusted_key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A key whose signature, key id, format and times have all been checked. The only type
/// that answers authorization questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedKey {
    pub(crate) claims: Arc<Claims>,
    pub(crate) key_id: KeyId,
    pub(crate) revocation: Option<RevocationStatus>,
}

impl VerifiedKey {
    /// Everything the key says.
    #[must_use]
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The application the key was issued to.
    #[must_use]
    pub fn app_id(&self) -> &str {
        &self.claims.app_id
    }

    /// The key's token id, the handle for revocation and audit logs.
    #[must_use]
    pub fn token_id(&self) -> TokenId {
        self.claims.token_id
    }

    /// When the key expires.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.claims.expires_at
    }

    /// The id of the signing key that signed it.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Which revocation list the key was checked against (and whether it was stale), or
    /// `None` if the verifier has no list.
    #[must_use]
    pub fn revocation_status(&self) -> Option<RevocationStatus> {
        self.revocation
    }

    /// Whether the key grants `scope`: it lists `scope` itself, or `resource:*` for the
    /// same resource. Nothing else is implied, and an invalid `scope` is never granted.
    #[must_use]
    pub fn has_scope(&self, scope: &str) -> bool {
        check_scope(scope).is_ok() && claims::grants(&self.claims.scopes, scope)
    }

    /// Like [`VerifiedKey::has_scope`], as a `Result` for `?`.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] if `scope` is not a valid scope, else
    /// [`Error::MissingScope`] if it is not granted.
    pub fn require_scope(&self, scope: &str) -> Result<(), Error> {
        check_scope(scope)?;
        if claims::grants(&self.claims.scopes, scope) {
            Ok(())
        } else {
            Err(Error::MissingScope {
                required: scope.to_string(),
            })
        }
    }
}

impl fmt::Display for VerifiedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        claims::describe(f, &self.claims, self.key_id)
    }
}
