//! Compact text forms of keys (`keyseal-secret-v1_…`, `keyseal-public-v1_…`) and
//! [`SecretText`], the string type every secret key encoding is returned in.
//!
//! ```text
//! text  = prefix base64url(key(32) || crc32(4, big-endian))      (unpadded: 48 characters)
//! crc32 = CRC-32/ISO-HDLC(prefix || key)
//! ```
//!
//! The prefixes contain `-`, which an issuer prefix cannot, so key material never parses as
//! an API key. A secret scanner matches [`SECRET_KEY_SCANNER_REGEX`] and confirms a hit with
//! the checksum. `FORMAT.md` §4.4 is the specification.

use alloc::string::String;
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

use crate::error::{Error, KeyEncoding, KeyMaterialProblem};
use crate::keys::{PublicKey, SigningKey};

/// Prefix of the compact text form of a secret key.
pub const SECRET_TEXT_PREFIX: &str = "keyseal-secret-v1_";
/// Prefix of the compact text form of a public key.
pub const PUBLIC_TEXT_PREFIX: &str = "keyseal-public-v1_";

/// A regular expression (RE2 / Rust `regex` syntax) whose group 1 matches secret keys in
/// compact text form; confirm each match with [`SigningKey::from_text`], which checks the
/// checksum. See `FORMAT.md` §4.4.
pub const SECRET_KEY_SCANNER_REGEX: &str =
    r"(?:^|[^A-Za-z0-9_-])(keyseal-secret-v1_[A-Za-z0-9_-]{48})(?:$|[^A-Za-z0-9_-])";

/// Key bytes and checksum.
const RAW_LEN: usize = 32 + 4;
/// Base64url characters after the prefix.
const BODY_LEN: usize = 48;

/// Text that holds a secret key (PEM or compact text): zeroized when dropped, and never
/// printed by `Debug`. Read it with [`SecretText::expose_secret`], and write it only where
/// secrets belong.
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Wraps text that was built in a buffer allocated at its final size (so no copy of it
    /// is left behind by a reallocation).
    pub(crate) fn new(text: Zeroizing<String>) -> SecretText {
        SecretText(text)
    }

    /// The secret text. Handle with care: do not log it.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

fn checksum(prefix: &str, key: &[u8; 32]) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    h.update(prefix.as_bytes());
    h.update(key);
    h.finalize().to_be_bytes()
}

/// Appends `prefix || base64url(key || crc32)` to `out`, which the callers allocate at
/// the final size so that no reallocation leaves a copy behind.
fn encode(prefix: &str, key: &[u8; 32], out: &mut String) {
    let mut raw = Zeroizing::new([0u8; RAW_LEN]);
    let (k, c) = raw.split_at_mut(32);
    k.copy_from_slice(key);
    c.copy_from_slice(&checksum(prefix, key));
    let mut body = Zeroizing::new([0u8; BODY_LEN]);
    // 36 bytes encode to exactly BODY_LEN characters, so this cannot fail.
    if let Ok(body) = Base64UrlUnpadded::encode(raw.as_slice(), body.as_mut_slice()) {
        out.push_str(prefix);
        out.push_str(body);
    }
}

/// Checks the prefix, length and checksum of `text` and returns the 32 key bytes.
/// Surrounding ASCII whitespace (a trailing newline from a file or a secret manager) is
/// ignored.
fn decode(
    text: &str,
    prefix: &'static str,
    other_prefix: &'static str,
    encoding: KeyEncoding,
    other_problem: KeyMaterialProblem,
) -> Result<Zeroizing<[u8; 32]>, Error> {
    let problem = |problem| Error::KeyMaterial { encoding, problem };
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let Some(body) = text.strip_prefix(prefix) else {
        return Err(problem(if text.starts_with(other_prefix) {
            other_problem
        } else {
            KeyMaterialProblem::WrongPrefix { expected: prefix }
        }));
    };
    if body.len() != BODY_LEN {
        return Err(problem(KeyMaterialProblem::Length));
    }
    let mut raw = Zeroizing::new([0u8; RAW_LEN]);
    Base64UrlUnpadded::decode(body, raw.as_mut_slice())
        .map_err(|_| problem(KeyMaterialProblem::Base64))?;
    let mut key = Zeroizing::new([0u8; 32]);
    let (k, c) = raw.split_at(32);
    key.copy_from_slice(k);
    if checksum(prefix, &key) != c {
        return Err(problem(KeyMaterialProblem::Checksum));
    }
    Ok(key)
}

/// Decodes the bare form of a public key (its `Display`): exactly 43 characters of
/// unpadded base64url. The bytes are not validated as a key yet.
#[cfg(feature = "json")]
pub(crate) fn decode_bare(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    (text.len() == 43 && Base64UrlUnpadded::decode(text, &mut bytes).is_ok()).then_some(bytes)
}

impl SigningKey {
    /// The compact text form, `keyseal-secret-v1_` followed by 48 base64url characters
    /// (the seed and a CRC-32), for secret managers and environment variables.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::SigningKey;
    ///
    /// let key = SigningKey::generate()?;
    /// let text = key.to_text();
    /// assert!(text.expose_secret().starts_with("keyseal-secret-v1_"));
    /// assert_eq!(SigningKey::from_text(text.expose_secret())?.key_id(), key.key_id());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn to_text(&self) -> SecretText {
        let mut text = Zeroizing::new(String::with_capacity(SECRET_TEXT_PREFIX.len() + BODY_LEN));
        encode(SECRET_TEXT_PREFIX, &self.to_seed(), &mut text);
        SecretText::new(text)
    }

    /// Reads the compact text form written by [`SigningKey::to_text`]. Surrounding
    /// whitespace is ignored.
    ///
    /// # Errors
    /// [`Error::KeyMaterial`]: wrong prefix (or a public key), wrong length, bad base64 or
    /// checksum mismatch.
    pub fn from_text(text: &str) -> Result<SigningKey, Error> {
        let seed = decode(
            text,
            SECRET_TEXT_PREFIX,
            PUBLIC_TEXT_PREFIX,
            KeyEncoding::SecretText,
            KeyMaterialProblem::PublicKeyGiven,
        )?;
        SigningKey::from_seed(&seed)
    }
}

impl PublicKey {
    /// The compact text form, `keyseal-public-v1_` followed by 48 base64url characters
    /// (the key and a CRC-32): for configuration files and copy and paste. (`Display` writes
    /// the bare 43-character base64url key, as keyring documents and JWK do.)
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = String::with_capacity(PUBLIC_TEXT_PREFIX.len() + BODY_LEN);
        encode(PUBLIC_TEXT_PREFIX, &self.to_bytes(), &mut text);
        text
    }

    /// Reads the compact text form written by [`PublicKey::to_text`]. Surrounding
    /// whitespace is ignored.
    ///
    /// # Errors
    /// [`Error::KeyMaterial`] for a wrong prefix (or a secret key), wrong length, bad
    /// base64 or checksum mismatch; [`Error::InvalidPublicKey`] for a non-canonical or weak
    /// key.
    pub fn from_text(text: &str) -> Result<PublicKey, Error> {
        let key = decode(
            text,
            PUBLIC_TEXT_PREFIX,
            SECRET_TEXT_PREFIX,
            KeyEncoding::PublicText,
            KeyMaterialProblem::SecretKeyGiven,
        )?;
        PublicKey::from_bytes(key.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed(&[0x42; 32]).unwrap()
    }

    #[test]
    fn secret_text_roundtrips_and_is_redacted() {
        let sk = key();
        let text = sk.to_text();
        let s = text.expose_secret();
        assert_eq!(s.len(), SECRET_TEXT_PREFIX.len() + BODY_LEN);
        assert_eq!(SigningKey::from_text(s).unwrap().key_id(), sk.key_id());
        assert_eq!(
            SigningKey::from_text(&format!("  {s}\n")).unwrap().key_id(),
            sk.key_id()
        );
        assert_eq!(format!("{text:?}"), "SecretText(<redacted>)");
    }

    #[test]
    fn public_text_roundtrips() {
        let pk = key().public_key();
        let text = pk.to_text();
        assert!(text.starts_with(PUBLIC_TEXT_PREFIX));
        assert_eq!(PublicKey::from_text(&text).unwrap(), pk);
    }

    #[test]
    fn every_single_character_change_is_detected() {
        let text = key().to_text();
        let s = text.expose_secret();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in SECRET_TEXT_PREFIX.len()..s.len() {
            for &c in alphabet {
                let mut bytes = s.as_bytes().to_vec();
                if bytes[i] == c {
                    continue;
                }
                bytes[i] = c;
                let changed = String::from_utf8(bytes).unwrap();
                assert_eq!(
                    SigningKey::from_text(&changed).map(|k| k.key_id()),
                    Err(Error::KeyMaterial {
                        encoding: KeyEncoding::SecretText,
                        problem: KeyMaterialProblem::Checksum
                    }),
                    "position {i}, character {}",
                    c as char
                );
            }
        }
    }

    #[test]
    fn secret_and_public_are_not_confused() {
        let sk = key();
        assert_eq!(
            PublicKey::from_text(sk.to_text().expose_secret()),
            Err(Error::KeyMaterial {
                encoding: KeyEncoding::PublicText,
                problem: KeyMaterialProblem::SecretKeyGiven
            })
        );
        assert_eq!(
            SigningKey::from_text(&sk.public_key().to_text()).map(|k| k.key_id()),
            Err(Error::KeyMaterial {
                encoding: KeyEncoding::SecretText,
                problem: KeyMaterialProblem::PublicKeyGiven
            })
        );
    }

    #[test]
    fn wrong_length_and_base64_are_refused() {
        let text = key().public_key().to_text();
        let err = |problem| {
            Err(Error::KeyMaterial {
                encoding: KeyEncoding::PublicText,
                problem,
            })
        };
        assert_eq!(
            PublicKey::from_text(&text[..text.len() - 1]),
            err(KeyMaterialProblem::Length)
        );
        assert_eq!(
            PublicKey::from_text(&format!("{text}A")),
            err(KeyMaterialProblem::Length)
        );
        let mut bad = text.clone();
        bad.replace_range(20..21, "+");
        assert_eq!(PublicKey::from_text(&bad), err(KeyMaterialProblem::Base64));
        assert_eq!(
            PublicKey::from_text(&text[PUBLIC_TEXT_PREFIX.len()..]),
            err(KeyMaterialProblem::WrongPrefix {
                expected: PUBLIC_TEXT_PREFIX
            })
        );
        assert_eq!(
            PublicKey::from_text(""),
            err(KeyMaterialProblem::WrongPrefix {
                expected: PUBLIC_TEXT_PREFIX
            })
        );
    }
}
