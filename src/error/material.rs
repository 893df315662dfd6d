//! Why key material (PEM, DER, JWK, the compact text forms) or JSON was refused.

use alloc::string::String;
use core::fmt;

use crate::key_id::KeyId;

/// An encoding of key material, as named in [`Error::KeyMaterial`](crate::Error::KeyMaterial).
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

/// What is wrong with key material; see [`Error::KeyMaterial`](crate::Error::KeyMaterial).
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

/// The most characters of an unknown value an error message echoes.
const ECHO_MAX: usize = 24;
/// A run of this many base64url characters may be key material (a 32-byte key is 43).
const KEY_LIKE_RUN: usize = 20;

/// A short, printable fragment of `s` for an error message: at most 24 characters of
/// printable ASCII (others become `?`), with `…` when `s` was longer. A value that may be
/// key material is not echoed at all, only its length: one that mentions a keyseal key text
/// prefix (`keyseal-secret-v1_`, `keyseal-public-v1_`) or holds a run of 20 or more base64url
/// characters (a key, a seed, an API key), so that a secret pasted into the wrong place (a
/// member name, a label) never comes back in a log.
pub(crate) fn printable(s: &str) -> String {
    if looks_like_key_material(s) {
        return alloc::format!("<{} characters, not shown>", s.chars().count());
    }
    let mut out: String = s
        .chars()
        .take(ECHO_MAX)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.chars().nth(ECHO_MAX).is_some() {
        out.push('…');
    }
    out
}

fn looks_like_key_material(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if lower.contains("keyseal-secret") || lower.contains("keyseal-public") {
        return true;
    }
    let mut run = 0usize;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            run += 1;
            if run >= KEY_LIKE_RUN {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_echoed_whole() {
        assert_eq!(printable("RSA PRIVATE KEY"), "RSA PRIVATE KEY");
        assert_eq!(printable("x-comment"), "x-comment");
        assert_eq!(printable("tab\there"), "tab?here");
    }

    #[test]
    fn long_values_are_cut_and_marked() {
        let long = "a b ".repeat(20);
        let shown = printable(&long);
        assert_eq!(shown.chars().count(), ECHO_MAX + 1);
        assert!(shown.ends_with('…'));
        assert!(long.starts_with(shown.trim_end_matches('…')));
    }

    #[test]
    fn key_like_values_are_never_echoed() {
        let secret = "keyseal-secret-v1_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkLG9a_D";
        for value in [
            secret,
            &secret[..30],
            "KEYSEAL-SECRET-V1_abc",
            "keyseal-public-v1_IVL40Zt5HSRFMkLhXy6rbLfP-ntqXtMAl5YOBpiB2xKaTvQ8",
            "7UkoxijRwsbq6QM4kFmVYSlZJzpcY_k2NsFGFKyHN9E",
            "acme_live_AcN--f6YbvWqDGFwcF83ZjNrOXgybQMOY3VzdG9t",
            "name QkJCQkJCQkJCQkJCQkJC",
        ] {
            let shown = printable(value);
            assert_eq!(
                shown,
                alloc::format!("<{} characters, not shown>", value.chars().count())
            );
        }
        // 19 base64url characters in a row are still a name.
        assert_eq!(printable("abcdefghij_klmnopqr"), "abcdefghij_klmnopqr");
    }
}
