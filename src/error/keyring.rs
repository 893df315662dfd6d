//! Why a keyring operation or a keyring document was refused.

use core::fmt;

use super::key::PublicKeyProblem;
use super::material::JsonProblem;
use crate::key_id::KeyId;
use crate::limits::MAX_KEYRING_DOCUMENT_LEN;

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

/// What is wrong with a keyring document; see
/// [`Error::KeyringDocument`](crate::Error::KeyringDocument).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentProblem {
    /// Malformed JSON, or a missing, duplicate, unknown or mistyped member.
    Json(JsonProblem),
    /// The document's format version is newer than this library reads.
    UnsupportedVersion(u64),
    /// The version is not a positive integer.
    InvalidVersion,
    /// The document lists no keys.
    NoKeys,
    /// `kid` is not 16 lowercase hex digits.
    InvalidKid,
    /// `public_key` is not 43 characters of unpadded base64url.
    PublicKeyEncoding,
    /// The public key is unusable.
    InvalidPublicKey(PublicKeyProblem),
    /// `kid` is not the key id derived from `public_key`.
    KidMismatch {
        /// The key id derived from the public key.
        derived: KeyId,
    },
    /// `state` is not `active`, `verify-only` or `retired`.
    InvalidState,
    /// A time is not of the form `2026-01-31T12:00:00Z` or is out of range.
    InvalidTime(&'static str),
    /// `not_after` is not after `not_before`.
    EmptyValidity,
    /// The same key appears in an earlier entry.
    DuplicateKey {
        /// Index of the earlier entry.
        first: usize,
    },
    /// A second active key; at most one key may be active.
    SecondActive {
        /// Index of the earlier active entry.
        first: usize,
    },
    /// The document is longer than [`MAX_KEYRING_DOCUMENT_LEN`](crate::MAX_KEYRING_DOCUMENT_LEN)
    /// bytes; nothing of it was parsed.
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
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

impl fmt::Display for DocumentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentProblem::Json(p) => write!(f, "{p}"),
            DocumentProblem::UnsupportedVersion(v) => write!(
                f,
                "format version {v} is newer than this keyseal reads (version 1); upgrade keyseal on this side first"
            ),
            DocumentProblem::InvalidVersion => f.write_str("'version' must be a positive integer"),
            DocumentProblem::NoKeys => f.write_str("the document lists no keys"),
            DocumentProblem::TooLarge { len } => write!(
                f,
                "{len} bytes is more than a keyring document may be ({MAX_KEYRING_DOCUMENT_LEN} bytes)"
            ),
            DocumentProblem::InvalidKid => f.write_str("'kid' must be 16 lowercase hex digits"),
            DocumentProblem::PublicKeyEncoding => f.write_str(
                "'public_key' must be the 32-byte key as 43 characters of unpadded base64url",
            ),
            DocumentProblem::InvalidPublicKey(p) => write!(f, "invalid public key: {p}"),
            DocumentProblem::KidMismatch { derived } => write!(
                f,
                "'kid' is not the key id of 'public_key', which is {derived}"
            ),
            DocumentProblem::InvalidState => {
                f.write_str("'state' must be \"active\", \"verify-only\" or \"retired\"")
            }
            DocumentProblem::InvalidTime(member) => write!(
                f,
                "'{member}' must be null or a UTC time like \"2026-01-31T12:00:00Z\" between 1970-01-01T00:00:01Z and 9999-12-31T23:59:59Z"
            ),
            DocumentProblem::EmptyValidity => f.write_str("'not_after' must be after 'not_before'"),
            DocumentProblem::DuplicateKey { first } => {
                write!(f, "the same key is already listed as keys[{first}]")
            }
            DocumentProblem::SecondActive { first } => write!(
                f,
                "a second active key (keys[{first}] is active); at most one key may be active"
            ),
        }
    }
}
