//! Exit codes, and the one error type of the command-line tool.
//!
//! Every failure becomes a [`Failure`]: one line for standard error, a stable code for JSON
//! output and the documented exit status. Verification failures keep the library's classes
//! apart (malformed, unknown key, bad signature, expired, ...), so a script can branch on
//! the exit status alone.

use core::fmt;

use keyseal::Error;

/// The exit statuses, documented in `keyseal --help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Success; for `verify`, the key is valid.
    Ok = 0,
    /// `scan` found a live key (or one that becomes live later, or an unverifiable one, or
    /// a secret signing key).
    Found = 1,
    /// The command line is wrong (clap uses 2 too).
    Usage = 2,
    /// A file or standard input/output could not be read or written, or the system failed.
    Io = 3,
    /// An input is invalid: a keyring document, key file, revocation list or value.
    Invalid = 4,
    /// Refused: a file would be replaced, a secret key file is open to others, a keyring
    /// change is impossible, or a list changed while it was being rebuilt.
    Refused = 5,
    /// `scan` read no file at all: every path was empty, excluded or unreadable. Never
    /// reported as a clean scan.
    NothingScanned = 6,
    /// The key is malformed: not a keyseal key, checksum mismatch, unsupported version.
    Malformed = 10,
    /// The key has another issuer prefix.
    WrongPrefix = 11,
    /// The key was signed by a key that is not in the keyring.
    UnknownKey = 12,
    /// The key was signed by a retired key, or one outside its validity window.
    SignerNotUsable = 13,
    /// The signature does not verify: forged or tampered.
    BadSignature = 14,
    /// The key has expired.
    Expired = 15,
    /// The key is not valid yet.
    NotYetValid = 16,
    /// The key is revoked by the revocation list.
    Revoked = 17,
    /// The key does not grant a required scope.
    MissingScope = 18,
    /// The revocation list is stale.
    ListStale = 19,
    /// The key's lifetime is longer than the verifier allows (`verify --max-lifetime`).
    LifetimeTooLong = 20,
}

impl Exit {
    /// The exit status for a library error.
    pub(crate) fn for_error(e: &Error) -> Exit {
        match e {
            Error::Malformed(_) | Error::UnsupportedVersion(_) => Exit::Malformed,
            Error::WrongPrefix => Exit::WrongPrefix,
            Error::UnknownKey(_) => Exit::UnknownKey,
            Error::RetiredKey(_) | Error::KeyOutsideValidity(_) => Exit::SignerNotUsable,
            Error::BadSignature => Exit::BadSignature,
            Error::Expired { .. } => Exit::Expired,
            Error::NotYetValid { .. } => Exit::NotYetValid,
            Error::Revoked { .. } => Exit::Revoked,
            Error::MissingScope { .. } => Exit::MissingScope,
            Error::RevocationListStale { .. } | Error::NoRevocationList => Exit::ListStale,
            Error::LifetimeTooLong { .. } => Exit::LifetimeTooLong,
            Error::Io { .. } | Error::RandomnessUnavailable | Error::NoClock => Exit::Io,
            Error::KeyFileExists { .. } | Error::InsecurePermissions { .. } | Error::Keyring(_) => {
                Exit::Refused
            }
            _ => Exit::Invalid,
        }
    }

    /// The numeric status.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit status.
    pub(crate) exit: Exit,
    /// A stable identifier: the library's `Error::code`, or `usage`, `io`, `refused`...
    pub(crate) code: &'static str,
    /// One line for standard error (without the `keyseal: ` lead).
    pub(crate) message: String,
}

impl Failure {
    /// A library error, with what was being done when it happened.
    pub(crate) fn new(context: impl fmt::Display, e: &Error) -> Failure {
        Failure {
            exit: Exit::for_error(e),
            code: e.code(),
            message: format!("{context}: {e}"),
        }
    }

    /// A library error that needs no context (its message names the file or the key).
    pub(crate) fn bare(e: &Error) -> Failure {
        Failure {
            exit: Exit::for_error(e),
            code: e.code(),
            message: e.to_string(),
        }
    }

    /// A failure of the tool's own.
    pub(crate) fn other(exit: Exit, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            code,
            message: message.into(),
        }
    }

    /// A file or stream that could not be read or written.
    pub(crate) fn io(action: &str, what: impl fmt::Display, e: &std::io::Error) -> Failure {
        Failure::other(Exit::Io, "io", format!("cannot {action} {what}: {e}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The exit status table, for `keyseal --help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit status:
   0  success (verify: the key is valid; scan: no live key found)
   1  scan: found a live or not-yet-valid key, an unverifiable key, or a secret signing key
   2  usage: invalid command line or option value
   3  I/O: a file or standard input/output could not be read or written
   4  invalid input: keyring document, key file or revocation list refused
   5  refused: would replace a file or lose entries, key file open to others, impossible change
   6  scan: no file was scanned (nothing to read, or everything excluded): not a clean scan
  10  malformed key (not a keyseal key, checksum mismatch, unsupported version)
  11  wrong prefix (the key belongs to another issuer prefix)
  12  unknown signing key (not in the keyring)
  13  signing key retired or outside its validity window
  14  bad signature (forged or tampered)
  15  expired
  16  not yet valid
  17  revoked
  18  missing scope
  19  revocation list stale
  20  key lifetime longer than --max-lifetime";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_classes_have_distinct_statuses() {
        let id = keyseal::KeyId::from_bytes([1; 8]);
        let t = keyseal::Timestamp::MIN;
        let cases = [
            (Error::Malformed(keyseal::Malformed::Checksum), 10),
            (Error::WrongPrefix, 11),
            (Error::UnknownKey(id), 12),
            (Error::RetiredKey(id), 13),
            (Error::KeyOutsideValidity(id), 13),
            (Error::BadSignature, 14),
            (Error::Expired { expires_at: t }, 15),
            (Error::NotYetValid { valid_from: t }, 16),
            (
                Error::Revoked {
                    reason: keyseal::RevocationReason::Token,
                    list_sequence: 1,
                },
                17,
            ),
            (
                Error::MissingScope {
                    required: "a:b".into(),
                },
                18,
            ),
            (
                Error::RevocationListStale {
                    stale_since: t,
                    list_sequence: 1,
                },
                19,
            ),
            (
                Error::LifetimeTooLong {
                    lifetime_secs: 2,
                    max_secs: 1,
                },
                20,
            ),
            (Error::InvalidKeyId, 4),
            (Error::KeyFileExists { path: "x".into() }, 5),
        ];
        for (e, code) in cases {
            assert_eq!(Exit::for_error(&e).code(), code, "{e:?}");
            assert!(EXIT_CODES_HELP.contains(&format!("{code:>4}  ")), "{code}");
        }
        assert!(EXIT_CODES_HELP.contains(&format!("{:>4}  ", Exit::NothingScanned.code())));
    }
}
