//! The one error type of keyseal, [`Error`], and the enums that say which rule an input
//! broke. This module sits just above the value types it names ([`KeyId`], [`Timestamp`])
//! and the limits its messages quote; every other module of keyseal is above it.
//!
//! - `key`: a key's text, payload and claims, and public keys ([`Malformed`],
//!   [`PayloadProblem`], [`InvalidClaim`], [`PublicKeyProblem`]);
//! - `material`: key material and JSON ([`KeyEncoding`], [`KeyMaterialProblem`],
//!   [`JsonProblem`]);
//! - `keyring`: keyring operations and documents ([`KeyringProblem`], [`DocumentProblem`]);
//! - `revocation`: revocation lists ([`ListProblem`], [`RevocationReason`]).
//!
//! Text parsing of [`KeyId`] and [`Timestamp`] (`FromStr`) is here too: those types sit
//! below this module, and their parse error is an [`Error`].

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

mod key;
mod keyring;
mod material;
mod revocation;

pub use key::{InvalidClaim, Malformed, PayloadField, PayloadProblem, PublicKeyProblem};
pub use keyring::{DocumentProblem, KeyringProblem};
pub(crate) use material::printable;
pub use material::{JsonProblem, KeyEncoding, KeyMaterialProblem};
pub use revocation::{ListProblem, RevocationReason};

use crate::key_id::{KeyId, parse_hex};
use crate::timestamp::{Timestamp, parse_utc};

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
    /// A time is not RFC 3339 UTC with whole seconds (`2026-01-31T12:00:00Z`) within
    /// `1970-01-01T00:00:01Z..=9999-12-31T23:59:59Z`.
    InvalidTimestamp,
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
    /// Key material (PEM, DER, JWK or a compact text form) could not be read; the problem
    /// says which rule it broke.
    KeyMaterial {
        /// The encoding that was being read.
        encoding: KeyEncoding,
        /// What is wrong with it.
        problem: KeyMaterialProblem,
    },
    /// A keyring document could not be loaded. Names the offending entry (its index in
    /// `keys`, and its key id when that could be read) when the problem is in one.
    KeyringDocument {
        /// Index of the entry in the document's `keys` array, if the problem is in one.
        entry: Option<usize>,
        /// The key id the entry states, if it is a well-formed key id.
        kid: Option<KeyId>,
        /// What is wrong.
        problem: DocumentProblem,
    },
    /// A key file already exists, and replacing it was not asked for.
    KeyFileExists {
        /// The file's path.
        path: String,
    },
    /// A secret key file is accessible by group or others, so it was not loaded (as OpenSSH
    /// refuses such private keys).
    InsecurePermissions {
        /// The file's path.
        path: String,
        /// The file's permission bits.
        mode: u32,
    },
    /// Reading or writing a file failed.
    #[cfg(feature = "std")]
    Io {
        /// What was being done: "read", "write", ...
        action: &'static str,
        /// The path involved.
        path: String,
        /// The kind of I/O error.
        kind: std::io::ErrorKind,
        /// The operating system's description.
        detail: String,
    },
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
            Error::InvalidTimestamp => "invalid_timestamp",
            Error::RandomnessUnavailable => "randomness_unavailable",
            Error::RevocationList(p) => p.code(),
            Error::Revoked { .. } => "revoked",
            Error::RevocationListStale { .. } => "revocation_list_stale",
            Error::NoRevocationList => "no_revocation_list",
            Error::NoClock => "no_clock",
            Error::KeyMaterial { .. } => "key_material",
            Error::KeyringDocument { .. } => "keyring_document",
            Error::KeyFileExists { .. } => "key_file_exists",
            Error::InsecurePermissions { .. } => "insecure_permissions",
            #[cfg(feature = "std")]
            Error::Io { .. } => "io",
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
            Error::InvalidTimestamp => f.write_str(
                "invalid time: expected UTC like 2026-01-31T12:00:00Z, between 1970-01-01T00:00:01Z and 9999-12-31T23:59:59Z",
            ),
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
            Error::KeyMaterial { encoding, problem } => {
                write!(f, "cannot read {encoding}: {problem}")
            }
            Error::KeyringDocument {
                entry,
                kid,
                problem,
            } => {
                f.write_str("keyring document: ")?;
                match (entry, kid) {
                    (Some(i), Some(id)) => write!(f, "keys[{i}] (kid {id}): ")?,
                    (Some(i), None) => write!(f, "keys[{i}]: ")?,
                    (None, Some(id)) => write!(f, "kid {id}: ")?,
                    (None, None) => {}
                }
                write!(f, "{problem}")
            }
            Error::KeyFileExists { path } => write!(
                f,
                "key file {path} already exists; keyseal does not replace a key unless asked to"
            ),
            Error::InsecurePermissions { path, mode } => write!(
                f,
                "permissions {mode:04o} for secret key file {path} are too open: it must not be \
                 accessible by group or others (run: chmod 600 {path})"
            ),
            #[cfg(feature = "std")]
            Error::Io {
                action,
                path,
                detail,
                ..
            } => write!(f, "cannot {action} {path}: {detail}"),
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

/// Parses 16 lowercase hex digits.
impl FromStr for KeyId {
    type Err = Error;

    fn from_str(s: &str) -> Result<KeyId, Error> {
        parse_hex(s)
            .map(KeyId::from_bytes)
            .ok_or(Error::InvalidKeyId)
    }
}

/// Parses RFC 3339 in UTC with whole seconds, exactly as `Display` writes it
/// (`2026-11-26T06:07:10Z`), within [`Timestamp::MIN`]..=[`Timestamp::MAX`]. Offsets other
/// than `Z`, fractional seconds and lowercase separators are refused, so every accepted
/// string names one instant in one spelling.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use keyseal::Timestamp;
///
/// let t: Timestamp = "2026-11-18T11:06:40Z".parse()?;
/// assert_eq!(t.as_unix(), 1_795_000_000);
/// assert_eq!(t.to_string(), "2026-11-18T11:06:40Z");
/// assert!("2026-11-18T11:06:40+01:00".parse::<Timestamp>().is_err());
/// # Ok(()) }
/// ```
impl FromStr for Timestamp {
    type Err = Error;

    fn from_str(s: &str) -> Result<Timestamp, Error> {
        parse_utc(s).ok_or(Error::InvalidTimestamp)
    }
}
