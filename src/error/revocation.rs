//! Why a revocation list was refused, and which of its entries revoked a key.

use core::fmt;

use crate::key_id::KeyId;
use crate::limits::MAX_LIST_BYTES;
use crate::timestamp::Timestamp;

/// Which entry of a revocation list revoked a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// The key's token id is listed.
    Token,
    /// Every key of its app issued before this time is revoked.
    App {
        /// The entry's cut-off.
        issued_before: Timestamp,
    },
    /// Every key signed by its signing key is revoked.
    Signer,
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationReason::Token => f.write_str("its token id is revoked"),
            RevocationReason::App { issued_before } => {
                write!(
                    f,
                    "its app's keys issued before {issued_before} are revoked"
                )
            }
            RevocationReason::Signer => f.write_str("its signing key is revoked"),
        }
    }
}

/// What is wrong with a revocation list or its update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListProblem {
    /// Larger than [`MAX_LIST_BYTES`].
    TooLarge,
    /// Not a keyseal revocation list, truncated, or with bytes after its end.
    Malformed,
    /// Well-formed but not in canonical form: over-long varints, entries out of order or
    /// duplicated, or breaking an entry rule.
    NotCanonical,
    /// More entries of one kind than the limits allow.
    TooManyEntries,
    /// A format version this library does not implement.
    UnsupportedVersion(u8),
    /// Issued for another prefix.
    WrongIssuer,
    /// Signed by a key that is not in the keyring.
    UnknownSigner(KeyId),
    /// Signed by a retired key or one outside its validity window.
    SignerNotUsable(KeyId),
    /// The signature does not verify.
    BadSignature,
    /// Its sequence number is not newer than the list in force (a replay or rollback), or
    /// below the verifier's restored high-water mark.
    Rollback {
        /// The sequence number in force (or the high-water mark).
        current: u64,
        /// The sequence number offered.
        offered: u64,
    },
    /// Its times are out of range, or it goes stale before it is issued.
    BadTimes,
    /// Issued later than now plus the clock leeway: a list from the future (a signer's
    /// clock far ahead, or a list made to stay fresh) is refused, since its age would be
    /// counted from a time that has not come.
    IssuedInFuture {
        /// The issue time the list states.
        issued_at: Timestamp,
    },
}

impl ListProblem {
    /// `revocation_list.<problem>`; see [`Error::code`](crate::Error::code).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ListProblem::TooLarge => "revocation_list.too_large",
            ListProblem::Malformed => "revocation_list.malformed",
            ListProblem::NotCanonical => "revocation_list.not_canonical",
            ListProblem::TooManyEntries => "revocation_list.too_many_entries",
            ListProblem::UnsupportedVersion(_) => "revocation_list.unsupported_version",
            ListProblem::WrongIssuer => "revocation_list.wrong_issuer",
            ListProblem::UnknownSigner(_) => "revocation_list.unknown_signer",
            ListProblem::SignerNotUsable(_) => "revocation_list.signer_not_usable",
            ListProblem::BadSignature => "revocation_list.bad_signature",
            ListProblem::Rollback { .. } => "revocation_list.rollback",
            ListProblem::BadTimes => "revocation_list.bad_times",
            ListProblem::IssuedInFuture { .. } => "revocation_list.issued_in_future",
        }
    }
}

impl fmt::Display for ListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListProblem::TooLarge => write!(f, "larger than {MAX_LIST_BYTES} bytes"),
            ListProblem::Malformed => {
                f.write_str("not a keyseal revocation list, truncated, or with trailing bytes")
            }
            ListProblem::NotCanonical => f.write_str(
                "not canonical: over-long varints, or entries out of order, duplicated or invalid",
            ),
            ListProblem::TooManyEntries => f.write_str("more entries than the limits allow"),
            ListProblem::UnsupportedVersion(v) => write!(f, "unsupported list version {v}"),
            ListProblem::WrongIssuer => f.write_str("issued for another prefix"),
            ListProblem::UnknownSigner(id) => write!(f, "signed by unknown key {id}"),
            ListProblem::SignerNotUsable(id) => {
                write!(
                    f,
                    "signed by key {id}, which is retired or outside its validity window"
                )
            }
            ListProblem::BadSignature => f.write_str("signature does not verify"),
            ListProblem::Rollback { current, offered } => write!(
                f,
                "sequence {offered} is not newer than the list in force ({current}): refusing a replay or rollback"
            ),
            ListProblem::BadTimes => f.write_str("times out of range or stale before issued"),
            ListProblem::IssuedInFuture { issued_at } => write!(
                f,
                "issued at {issued_at}, later than now plus the clock leeway: refusing a list from the future"
            ),
        }
    }
}
