//! The one error type of keyseal.

use alloc::string::String;
use core::fmt;

use crate::revocation::{ListProblem, RevocationReason};
use crate::{KeyId, Timestamp};

/// Everything that can go wrong in keyseal.
///
/// Verification failures are split by what an operator has to do about them: a
/// [`Malformed`](Error::Malformed) input is garbage or a typo, an
/// [`UnknownKey`](Error::UnknownKey) means the keyring is out of date or the key comes from
/// elsewhere, [`BadSignature`](Error::BadSignature) means forged or tampered,
/// [`Expired`](Error::Expired) and [`NotYetValid`](Error::NotYetValid) are about time, and
/// [`MissingScope`](Error::MissingScope) is an authorization decision. Every signature failure
/// is the same opaque [`BadSignature`](Error::BadSignature).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a well-formed keyseal key; the reason says which rule it broke.
    Malformed(Malformed),
    /// The key is well-formed but carries another issuer's prefix (for example a test key
    /// presented to a live verifier).
    WrongPrefix,
    /// The key uses a format version this library does not implement.
    UnsupportedVersion(u8),
    /// The key was signed by a key id that is not in the keyring.
    UnknownKey(KeyId),
    /// The key was signed by a signing key that the keyring marks as retired.
    RetiredKey(KeyId),
    /// The key was signed by a signing key whose validity window (in the keyring) does not
    /// include the current time.
    KeyOutsideValidity(KeyId),
    /// The signature does not verify. Deliberately opaque: forged, tampered and corrupted
    /// keys all end here.
    BadSignature,
    /// The key has expired.
    Expired {
        /// When the key expired (before any leeway).
        expires_at: Timestamp,
    },
    /// The key is not valid yet: its not-before or issued-at time is in the future.
    NotYetValid {
        /// When the key becomes valid (before any leeway).
        valid_from: Timestamp,
    },
    /// The key's lifetime (expiry minus issue time) exceeds the verifier's maximum.
    LifetimeTooLong {
        /// The key's lifetime in seconds.
        lifetime_secs: u64,
        /// The verifier's maximum in seconds.
        max_secs: u64,
    },
    /// The key is valid but does not grant the scope that was required.
    MissingScope {
        /// The scope that was required.
        required: String,
    },
    /// Claims handed to the issuer (or a scope asked for) break a rule of the format.
    InvalidClaim(InvalidClaim),
    /// A key prefix does not follow the prefix grammar (see `FORMAT.md`).
    InvalidPrefix,
    /// A public key is unusable: wrong length, not a canonical encoding, or of small order.
    InvalidPublicKey(PublicKeyProblem),
    /// A keyring operation is not possible.
    Keyring(KeyringProblem),
    /// A key id is not 16 lowercase hex digits.
    InvalidKeyId,
    /// A token id is not 32 lowercase hex digits.
    InvalidTokenId,
    /// A key state is not one of `active`, `verify-only`, `retired`.
    InvalidKeyState,
    /// The operating system could not provide random bytes.
    RandomnessUnavailable,
    /// A revocation list, or an update to one, was refused.
    RevocationList(ListProblem),
    /// The key is revoked by the revocation list in force.
    Revoked {
        /// Which entry revoked it.
        reason: RevocationReason,
        /// The sequence number of the list that revoked it.
        list_sequence: u64,
    },
    /// The revocation list in force is stale (past its stale-after time or the verifier's
    /// maximum age), and the verifier fails closed: refresh the list.
    RevocationListStale {
        /// Since when the list is stale.
        stale_since: Timestamp,
        /// The stale list's sequence number.
        list_sequence: u64,
    },
    /// The verifier requires a revocation list and none has been loaded.
    NoRevocationList,
    /// No clock is available: `verify` and `issue` need one on `no_std`; use the `_at`
    /// variants or configure a [`Clock`](crate::Clock).
    NoClock,
}

/// Which structural rule a key's text or bytes broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) characters.
    TooLong,
    /// Too short to hold the header, a payload, a signature and a checksum.
    TooShort,
    /// Does not start with `<prefix>_` followed by the body.
    Prefix,
    /// The body is not canonical unpadded base64url.
    Base64,
    /// The CRC-32 checksum does not match: a typo, a truncation or not a keyseal key.
    Checksum,
    /// The payload is not the canonical postcard encoding of the claims (over-long varints,
    /// trailing bytes, invalid UTF-8, wrong field types).
    Payload,
    /// The payload decodes, but its claims break a rule of the format.
    Claims(InvalidClaim),
}

/// Which rule of the claims grammar or limits was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidClaim {
    /// The app id is empty, too long or uses characters outside the documented set.
    AppId,
    /// A scope is not `resource:action` in the documented grammar.
    Scope,
    /// More scopes than [`MAX_SCOPES`](crate::MAX_SCOPES).
    TooManyScopes,
    /// Scopes are not sorted and unique (only possible in a received key).
    ScopesNotCanonical,
    /// An extension name breaks the grammar, or a value is too long.
    Extension,
    /// More extensions than [`MAX_EXTENSIONS`](crate::MAX_EXTENSIONS).
    TooManyExtensions,
    /// Extensions are not sorted by name and unique (only possible in a received key).
    ExtensionsNotCanonical,
    /// No expiry was given; keyseal does not issue keys that never expire.
    MissingExpiry,
    /// A time is outside `Timestamp::MIN..=Timestamp::MAX`.
    TimeOutOfRange,
    /// The expiry is not after the issue time.
    ExpiryNotAfterIssue,
    /// The not-before time is before the issue time or not before the expiry.
    NotBeforeOutOfRange,
    /// The encoded key would exceed [`MAX_KEY_BYTES`](crate::MAX_KEY_BYTES).
    TooLarge,
}

/// Why a public key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKeyProblem {
    /// Not 32 bytes.
    WrongLength,
    /// Not the encoding of a curve point.
    NotOnCurve,
    /// A valid point, but not in its one canonical encoding.
    NonCanonical,
    /// A point of small order, with which signatures can verify for many messages.
    Weak,
}

/// Why a keyring operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringProblem {
    /// The key id is already in the keyring.
    Duplicate(KeyId),
    /// The key id is not in the keyring.
    NotFound(KeyId),
    /// The keyring has no active signing key.
    NoActiveKey,
    /// A retired key cannot be made active again; add a new key instead.
    Retired(KeyId),
    /// A validity window that ends before it starts.
    EmptyValidity(KeyId),
    /// None of the given secret keys matches the keyring's active key.
    ActiveSecretMissing(KeyId),
}

impl Error {
    /// A short stable identifier for the error class, for logs, metrics, JSON output and
    /// test vectors: `malformed.<reason>`, `wrong_prefix`, `unsupported_version`,
    /// `unknown_key`, `retired_key`, `key_outside_validity`, `bad_signature`, `expired`,
    /// `not_yet_valid`, `lifetime_too_long`, `missing_scope`, `invalid_claim.<rule>`, and so on.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(m) => m.code(),
            Error::WrongPrefix => "wrong_prefix",
            Error::UnsupportedVersion(_) => "unsupported_version",
            Error::UnknownKey(_) => "unknown_key",
            Error::RetiredKey(_) => "retired_key",
            Error::KeyOutsideValidity(_) => "key_outside_validity",
            Error::BadSignature => "bad_signature",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not_yet_valid",
            Error::LifetimeTooLong { .. } => "lifetime_too_long",
            Error::MissingScope { .. } => "missing_scope",
            Error::InvalidClaim(c) => c.code(),
            Error::InvalidPrefix => "invalid_prefix",
            Error::InvalidPublicKey(_) => "invalid_public_key",
            Error::Keyring(_) => "keyring",
            Error::InvalidKeyId => "invalid_key_id",
            Error::InvalidTokenId => "invalid_token_id",
            Error::InvalidKeyState => "invalid_key_state",
            Error::RandomnessUnavailable => "randomness_unavailable",
            Error::RevocationList(p) => p.code(),
            Error::Revoked { .. } => "revoked",
            Error::RevocationListStale { .. } => "revocation_list_stale",
            Error::NoRevocationList => "no_revocation_list",
            Error::NoClock => "no_clock",
        }
    }
}

impl Malformed {
    /// `malformed.<reason>`; see [`Error::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Malformed::TooLong => "malformed.too_long",
            Malformed::TooShort => "malformed.too_short",
            Malformed::Prefix => "malformed.prefix",
            Malformed::Base64 => "malformed.base64",
            Malformed::Checksum => "malformed.checksum",
            Malformed::Payload => "malformed.payload",
            Malformed::Claims(_) => "malformed.claims",
        }
    }
}

impl InvalidClaim {
    /// `invalid_claim.<rule>`; see [`Error::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            InvalidClaim::AppId => "invalid_claim.app_id",
            InvalidClaim::Scope => "invalid_claim.scope",
            InvalidClaim::TooManyScopes => "invalid_claim.too_many_scopes",
            InvalidClaim::ScopesNotCanonical => "invalid_claim.scopes_not_canonical",
            InvalidClaim::Extension => "invalid_claim.extension",
            InvalidClaim::TooManyExtensions => "invalid_claim.too_many_extensions",
            InvalidClaim::ExtensionsNotCanonical => "invalid_claim.extensions_not_canonical",
            InvalidClaim::MissingExpiry => "invalid_claim.missing_expiry",
            InvalidClaim::TimeOutOfRange => "invalid_claim.time_out_of_range",
            InvalidClaim::ExpiryNotAfterIssue => "invalid_claim.expiry_not_after_issue",
            InvalidClaim::NotBeforeOutOfRange => "invalid_claim.not_before_out_of_range",
            InvalidClaim::TooLarge => "invalid_claim.too_large",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(m) => write!(f, "malformed key: {m}"),
            Error::WrongPrefix => f.write_str("key has the wrong prefix for this verifier"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported key format version {v}"),
            Error::UnknownKey(id) => write!(f, "key signed by unknown signing key {id}"),
            Error::RetiredKey(id) => write!(f, "key signed by retired signing key {id}"),
            Error::KeyOutsideValidity(id) => {
                write!(f, "signing key {id} is outside its validity window")
            }
            Error::BadSignature => f.write_str("signature does not verify"),
            Error::Expired { expires_at } => write!(f, "key expired at {expires_at}"),
            Error::NotYetValid { valid_from } => write!(f, "key is not valid before {valid_from}"),
            Error::LifetimeTooLong {
                lifetime_secs,
                max_secs,
            } => write!(
                f,
                "key lifetime of {lifetime_secs} s exceeds the allowed maximum of {max_secs} s"
            ),
            Error::MissingScope { required } => write!(f, "key does not grant scope {required}"),
            Error::InvalidClaim(c) => write!(f, "invalid claim: {c}"),
            Error::InvalidPrefix => f.write_str(
                "invalid key prefix: expected lowercase letters and digits in segments separated by '_', starting with a letter, at most 32 characters",
            ),
            Error::InvalidPublicKey(p) => write!(f, "invalid public key: {p}"),
            Error::Keyring(p) => write!(f, "keyring: {p}"),
            Error::InvalidKeyId => f.write_str("invalid key id: expected 16 lowercase hex digits"),
            Error::InvalidTokenId => {
                f.write_str("invalid token id: expected 32 lowercase hex digits")
            }
            Error::InvalidKeyState => {
                f.write_str("invalid key state: expected active, verify-only or retired")
            }
            Error::RandomnessUnavailable => {
                f.write_str("the operating system could not provide random bytes")
            }
            Error::RevocationList(p) => write!(f, "revocation list refused: {p}"),
            Error::Revoked {
                reason,
                list_sequence,
            } => write!(f, "key is revoked: {reason} (revocation list {list_sequence})"),
            Error::RevocationListStale {
                stale_since,
                list_sequence,
            } => write!(
                f,
                "revocation list {list_sequence} has been stale since {stale_since}; refusing all keys until a newer list is loaded"
            ),
            Error::NoRevocationList => {
                f.write_str("no revocation list loaded; refusing all keys until one is")
            }
            Error::NoClock => f.write_str("no clock configured; pass the time explicitly"),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooLong => write!(f, "longer than {} characters", crate::MAX_KEY_LEN),
            Malformed::TooShort => f.write_str("too short"),
            Malformed::Prefix => f.write_str("does not start with a valid '<prefix>_'"),
            Malformed::Base64 => f.write_str("body is not canonical unpadded base64url"),
            Malformed::Checksum => f.write_str("checksum mismatch"),
            Malformed::Payload => f.write_str("payload is not canonically encoded"),
            Malformed::Claims(c) => write!(f, "claims break the format: {c}"),
        }
    }
}

impl fmt::Display for InvalidClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidClaim::AppId => {
                "app id must be 1-64 characters of A-Z a-z 0-9 '_' '-' '.', starting with a letter or digit"
            }
            InvalidClaim::Scope => {
                "scope must be 'resource:action' (lowercase a-z 0-9 '_' '-' '.', action may be '*'), at most 64 characters"
            }
            InvalidClaim::TooManyScopes => "too many scopes (at most 32)",
            InvalidClaim::ScopesNotCanonical => "scopes are not sorted and unique",
            InvalidClaim::Extension => {
                "extension name must be 1-32 characters of a-z 0-9 '_' '-' '.', starting with a letter, and not start with 'keyseal'; value at most 256 bytes"
            }
            InvalidClaim::TooManyExtensions => "too many extensions (at most 16)",
            InvalidClaim::ExtensionsNotCanonical => "extensions are not sorted by name and unique",
            InvalidClaim::MissingExpiry => "an expiry is required",
            InvalidClaim::TimeOutOfRange => {
                "time outside 1970-01-01T00:00:01Z..=9999-12-31T23:59:59Z"
            }
            InvalidClaim::ExpiryNotAfterIssue => "expiry must be after the issue time",
            InvalidClaim::NotBeforeOutOfRange => {
                "not-before must be at or after the issue time and before the expiry"
            }
            InvalidClaim::TooLarge => "encoded key would exceed the maximum size",
        })
    }
}

impl fmt::Display for PublicKeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PublicKeyProblem::WrongLength => "an Ed25519 public key is 32 bytes",
            PublicKeyProblem::NotOnCurve => "not a point on the curve",
            PublicKeyProblem::NonCanonical => "not the canonical encoding of its point",
            PublicKeyProblem::Weak => "a small-order (weak) point",
        })
    }
}

impl fmt::Display for KeyringProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringProblem::Duplicate(id) => write!(f, "key {id} is already present"),
            KeyringProblem::NotFound(id) => write!(f, "key {id} is not in the keyring"),
            KeyringProblem::NoActiveKey => f.write_str("no active signing key"),
            KeyringProblem::Retired(id) => {
                write!(f, "key {id} is retired and cannot be made active again")
            }
            KeyringProblem::EmptyValidity(id) => {
                write!(f, "validity window of key {id} ends before it starts")
            }
            KeyringProblem::ActiveSecretMissing(id) => {
                write!(f, "no secret key given for the active key {id}")
            }
        }
    }
}

impl core::error::Error for Error {}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m)
    }
}

impl From<InvalidClaim> for Error {
    fn from(c: InvalidClaim) -> Self {
        Error::InvalidClaim(c)
    }
}

impl From<PublicKeyProblem> for Error {
    fn from(p: PublicKeyProblem) -> Self {
        Error::InvalidPublicKey(p)
    }
}

impl From<ListProblem> for Error {
    fn from(p: ListProblem) -> Self {
        Error::RevocationList(p)
    }
}

impl From<KeyringProblem> for Error {
    fn from(p: KeyringProblem) -> Self {
        Error::Keyring(p)
    }
}
