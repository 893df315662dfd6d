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

/// An encoding of key material, as named in [`Error::KeyMaterial`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// A secret key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    Pkcs8Pem,
    /// A secret key as PKCS#8 DER.
    Pkcs8Der,
    /// A public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    SpkiPem,
    /// A public key as SubjectPublicKeyInfo DER.
    SpkiDer,
    /// A public key as a JSON Web Key.
    Jwk,
    /// A secret key in keyseal's compact text form (`keyseal-secret-v1_…`).
    SecretText,
    /// A public key in keyseal's compact text form (`keyseal-public-v1_…`).
    PublicText,
}

/// What is wrong with key material; see [`Error::KeyMaterial`].
///
/// Messages never contain secret bytes: only labels, member names and public values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyMaterialProblem {
    /// Not PEM: no `-----BEGIN <label>-----` first line, no matching `END` last line, or
    /// other text around the block.
    NotPem,
    /// A PEM block with another label, such as `RSA PRIVATE KEY` or `PUBLIC KEY`.
    WrongPemLabel {
        /// The label keyseal reads here.
        expected: &'static str,
        /// The label found (printable ASCII only, shortened).
        found: String,
    },
    /// An encrypted private key, which keyseal does not decrypt.
    Encrypted,
    /// The base64 is corrupt or truncated.
    Base64,
    /// The bytes are not the DER structure of an Ed25519 key (RFC 8410): wrong lengths,
    /// wrong tags, non-minimal encoding or trailing bytes.
    Der,
    /// A well-formed key for another algorithm.
    WrongAlgorithm(&'static str),
    /// A PKCS#8 v2 key whose embedded public key does not belong to its private key.
    PublicKeyMismatch,
    /// The text does not start with the expected prefix.
    WrongPrefix {
        /// The prefix keyseal reads here.
        expected: &'static str,
    },
    /// The encoded key has the wrong length.
    Length,
    /// The checksum does not match: a typo or a truncation.
    Checksum,
    /// A secret key was given where a public key is expected; nothing was read from it.
    SecretKeyGiven,
    /// A public key was given where a secret key is expected.
    PublicKeyGiven,
    /// The JSON is malformed or lacks a required member.
    Json(JsonProblem),
    /// A member has a value keyseal does not accept, such as `"kty": "RSA"`.
    WrongValue {
        /// The member's name.
        member: &'static str,
        /// What keyseal accepts.
        expected: &'static str,
        /// The value found (printable ASCII only, shortened).
        found: String,
    },
    /// The stated key id (`kid`) is not the key id of the key.
    KidMismatch {
        /// The key id derived from the public key.
        derived: KeyId,
    },
    /// The input is longer than any encoding of one key can be (a JWK over
    /// [`MAX_JWK_LEN`](crate::MAX_JWK_LEN) bytes); nothing of it was parsed.
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
}

/// A structural problem with JSON input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonProblem {
    /// Not JSON, or too deeply nested; the parser's message says where.
    Syntax(String),
    /// A required member is missing.
    MissingMember(&'static str),
    /// A member appears twice in one object.
    DuplicateMember(String),
    /// A member that this format does not define.
    UnknownMember(String),
    /// The value is not a JSON object.
    NotAnObject,
    /// A member's value has the wrong JSON type.
    WrongType {
        /// The member's name.
        member: &'static str,
        /// The JSON type expected.
        expected: &'static str,
    },
}

/// What is wrong with a keyring document; see [`Error::KeyringDocument`].
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

impl fmt::Display for KeyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyEncoding::Pkcs8Pem => "PKCS#8 PEM private key",
            KeyEncoding::Pkcs8Der => "PKCS#8 DER private key",
            KeyEncoding::SpkiPem => "SubjectPublicKeyInfo PEM public key",
            KeyEncoding::SpkiDer => "SubjectPublicKeyInfo DER public key",
            KeyEncoding::Jwk => "JWK public key",
            KeyEncoding::SecretText => "keyseal secret key text",
            KeyEncoding::PublicText => "keyseal public key text",
        })
    }
}

impl fmt::Display for KeyMaterialProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMaterialProblem::NotPem => f.write_str(
                "not a PEM block: expected a '-----BEGIN <label>-----' line, base64 lines and a matching '-----END <label>-----' line, and nothing else",
            ),
            KeyMaterialProblem::WrongPemLabel { expected, found } => {
                write!(f, "PEM label is '{found}', expected '{expected}'")?;
                match found.as_str() {
                    "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => f.write_str(" (an RSA key)"),
                    "EC PRIVATE KEY" => f.write_str(" (an elliptic-curve key)"),
                    "OPENSSH PRIVATE KEY" => f.write_str(" (an OpenSSH key)"),
                    _ => Ok(()),
                }?;
                f.write_str("; keyseal uses Ed25519 keys in PKCS#8 and SubjectPublicKeyInfo form")
            }
            KeyMaterialProblem::Encrypted => f.write_str(
                "the private key is encrypted; decrypt it first (openssl pkey -in encrypted.pem -out key.pem)",
            ),
            KeyMaterialProblem::Base64 => f.write_str("the base64 is corrupt or truncated"),
            KeyMaterialProblem::Der => f.write_str(
                "not the DER encoding of an Ed25519 key as RFC 8410 defines it (wrong length, structure or trailing bytes)",
            ),
            KeyMaterialProblem::WrongAlgorithm(alg) => {
                write!(f, "this is {alg}; keyseal uses Ed25519 keys only")
            }
            KeyMaterialProblem::PublicKeyMismatch => {
                f.write_str("the embedded public key does not belong to the private key")
            }
            KeyMaterialProblem::WrongPrefix { expected } => {
                write!(f, "does not start with '{expected}'")
            }
            KeyMaterialProblem::Length => f.write_str("wrong length"),
            KeyMaterialProblem::Checksum => {
                f.write_str("checksum mismatch: the text is mistyped or truncated")
            }
            KeyMaterialProblem::SecretKeyGiven => f.write_str(
                "this is a secret key, where a public key is expected; do not publish it",
            ),
            KeyMaterialProblem::PublicKeyGiven => {
                f.write_str("this is a public key, where a secret key is expected")
            }
            KeyMaterialProblem::Json(p) => write!(f, "{p}"),
            KeyMaterialProblem::WrongValue {
                member,
                expected,
                found,
            } => write!(f, "member '{member}' is {found}, expected {expected}"),
            KeyMaterialProblem::KidMismatch { derived } => write!(
                f,
                "member 'kid' is not the key id of this key, which is {derived}"
            ),
            KeyMaterialProblem::TooLarge { len } => {
                write!(f, "{len} bytes is too long to be one key")
            }
        }
    }
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonProblem::Syntax(m) => write!(f, "invalid JSON: {m}"),
            JsonProblem::MissingMember(m) => write!(f, "member '{m}' is missing"),
            JsonProblem::DuplicateMember(m) => write!(f, "member '{m}' appears twice"),
            JsonProblem::UnknownMember(m) => write!(f, "unknown member '{m}'"),
            JsonProblem::NotAnObject => f.write_str("must be a JSON object"),
            JsonProblem::WrongType { member, expected } => {
                write!(f, "member '{member}' must be {expected}")
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
                "{len} bytes is more than a keyring document may be ({} bytes)",
                crate::MAX_KEYRING_DOCUMENT_LEN
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

/// Printable ASCII of `s`, at most 64 characters: for echoing input in error messages.
pub(crate) fn printable(s: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = s
        .chars()
        .take(MAX)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}
