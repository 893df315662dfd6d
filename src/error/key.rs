//! Why a key's text, its claims or a public key were refused.

use core::fmt;

use crate::limits::{MAX_BODY_LEN, MAX_EXTENSIONS, MAX_KEY_BYTES, MAX_KEY_LEN, MAX_SCOPES};

/// Which structural rule a key's text or bytes broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) characters, or a body longer than
    /// the 1366 characters that encode [`MAX_KEY_BYTES`](crate::MAX_KEY_BYTES).
    TooLong,
    /// Too short to hold the header, a payload, a signature and a checksum.
    TooShort,
    /// Does not start with `<prefix>_` followed by the body.
    Prefix,
    /// The body is not canonical unpadded base64url.
    Base64,
    /// The CRC-32 checksum does not match: a typo, a truncation or not a keyseal key.
    Checksum,
    /// The payload is not the canonical postcard encoding of the claims; the problem says
    /// what is wrong and in which field. Code `malformed.payload` whatever the problem.
    Payload(PayloadProblem),
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

/// Why a key's payload is not the canonical postcard encoding of its claims (`FORMAT.md`
/// §1.6, §1.8), found while it is read, field by field, in order: the first problem wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadProblem {
    /// The payload ends inside this field.
    Truncated(PayloadField),
    /// A varint of this field does not fit its type (a `u64` of more than 64 bits, or a
    /// count larger than the platform's `usize`).
    VarintOverflow(PayloadField),
    /// A varint of this field is longer than needed (redundant `0x80`-continued zero
    /// groups): the value decodes, but this is not its one canonical encoding.
    VarintNotMinimal(PayloadField),
    /// A string of this field is not UTF-8.
    NotUtf8(PayloadField),
    /// The not-before field's tag is neither `0x00` (none) nor `0x01` (a time follows).
    BadOptionTag,
    /// The scope count is above [`MAX_SCOPES`](crate::MAX_SCOPES), refused before the
    /// scopes are read.
    TooManyScopes,
    /// The extension count is above [`MAX_EXTENSIONS`](crate::MAX_EXTENSIONS), refused
    /// before the extensions are read.
    TooManyExtensions,
    /// Bytes follow the last field.
    TrailingBytes,
}

/// A field of a key's payload, in the order they are encoded (`FORMAT.md` §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadField {
    /// 1: the app id.
    AppId,
    /// 2: the scopes (their count or one of them).
    Scopes,
    /// 3: the issued-at time.
    IssuedAt,
    /// 4: the expiry time.
    ExpiresAt,
    /// 5: the optional not-before time.
    NotBefore,
    /// 6: the 16-byte token id.
    TokenId,
    /// 7: the extensions (their count, or a name or value of one).
    Extensions,
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

impl Malformed {
    /// `malformed.<reason>`; see [`Error::code`](crate::Error::code).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Malformed::TooLong => "malformed.too_long",
            Malformed::TooShort => "malformed.too_short",
            Malformed::Prefix => "malformed.prefix",
            Malformed::Base64 => "malformed.base64",
            Malformed::Checksum => "malformed.checksum",
            Malformed::Payload(_) => "malformed.payload",
            Malformed::Claims(_) => "malformed.claims",
        }
    }
}

impl InvalidClaim {
    /// `invalid_claim.<rule>`; see [`Error::code`](crate::Error::code).
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

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooLong => write!(
                f,
                "longer than a key can be: more than {MAX_KEY_LEN} characters, or a body of more than {} characters (over {MAX_KEY_BYTES} bytes)",
                MAX_BODY_LEN
            ),
            Malformed::TooShort => f.write_str("too short"),
            Malformed::Prefix => f.write_str("does not start with a valid '<prefix>_'"),
            Malformed::Base64 => f.write_str("body is not canonical unpadded base64url"),
            Malformed::Checksum => f.write_str("checksum mismatch"),
            Malformed::Payload(p) => write!(f, "payload breaks the encoding: {p}"),
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

impl fmt::Display for PayloadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadProblem::Truncated(field) => write!(f, "it ends inside {field}"),
            PayloadProblem::VarintOverflow(field) => {
                write!(f, "a number in {field} is too large for its type")
            }
            PayloadProblem::VarintNotMinimal(field) => write!(
                f,
                "a number in {field} is not minimally encoded (redundant continuation bytes)"
            ),
            PayloadProblem::NotUtf8(field) => write!(f, "a string in {field} is not UTF-8"),
            PayloadProblem::BadOptionTag => {
                f.write_str("the not-before tag is neither 0 (none) nor 1 (a time follows)")
            }
            PayloadProblem::TooManyScopes => write!(f, "more than {MAX_SCOPES} scopes"),
            PayloadProblem::TooManyExtensions => {
                write!(f, "more than {MAX_EXTENSIONS} extensions")
            }
            PayloadProblem::TrailingBytes => f.write_str("bytes follow the last field"),
        }
    }
}

impl fmt::Display for PayloadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayloadField::AppId => "the app id",
            PayloadField::Scopes => "the scopes",
            PayloadField::IssuedAt => "the issued-at time",
            PayloadField::ExpiresAt => "the expiry",
            PayloadField::NotBefore => "the not-before time",
            PayloadField::TokenId => "the token id",
            PayloadField::Extensions => "the extensions",
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
