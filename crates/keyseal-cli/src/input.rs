//! Reading what the commands are given: key text from an argument or standard input, key
//! files, keyring documents, revocation lists, and the values of time and duration options.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::Duration;

use keyseal::{
    Keyring, MAX_LIST_BYTES, PUBLIC_TEXT_PREFIX, PublicKey, SECRET_TEXT_PREFIX, SigningKey,
    Timestamp,
};

use crate::exit::{Exit, Failure};
use crate::{files, output};

/// Longest text read as one key from standard input: far more than any key, so a longer
/// input is certainly not one.
const MAX_KEY_INPUT: u64 = 64 * 1024;
/// Longest file read as a list of keys, or as public key material.
const MAX_TEXT_FILE: u64 = 16 * 1024 * 1024;

/// Reads at most `limit` bytes from `reader`; more is an error naming `what`.
fn read_limited(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Failure::io("read", what, &e))?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > limit {
        return Err(Failure::other(
            Exit::Invalid,
            "too_large",
            format!("{what} is larger than {limit} bytes"),
        ));
    }
    Ok(buf)
}

/// Reads a whole file of at most `limit` bytes.
pub(crate) fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    let what = output::path(path);
    let file = File::open(path).map_err(|e| Failure::io("read", &what, &e))?;
    read_limited(file, limit, &what)
}

/// Reads text: a file, or standard input for `-`.
pub(crate) fn read_text(path: &Path) -> Result<String, Failure> {
    let (bytes, what) = if path == Path::new("-") {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            return Err(Failure::other(
                Exit::Usage,
                "usage",
                "standard input is a terminal: pipe the keys in, or give a file",
            ));
        }
        (
            read_limited(stdin.lock(), MAX_TEXT_FILE, "standard input")?,
            "standard input".to_string(),
        )
    } else {
        (read_file(path, MAX_TEXT_FILE)?, output::path(path))
    };
    String::from_utf8(bytes).map_err(|_| {
        Failure::other(
            Exit::Invalid,
            "not_text",
            format!("{what} is not UTF-8 text"),
        )
    })
}

/// What a verifier may trim around a key text (FORMAT.md): ASCII space, tab, LF and CR,
/// nothing else (not U+00A0, U+3000, vertical tab or form feed).
pub(crate) fn trim_key(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
}

/// The key to verify or inspect: the argument, or standard input when it is absent or `-`.
/// Surrounding ASCII whitespace (a trailing newline) is removed, as [`trim_key`] says.
pub(crate) fn key_text(arg: Option<&str>) -> Result<String, Failure> {
    match arg {
        Some(text) if text != "-" => Ok(trim_key(text).to_string()),
        _ => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::other(
                    Exit::Usage,
                    "usage",
                    "no key given: pass it as an argument, or on standard input (keyseal verify ... - < key.txt)",
                ));
            }
            let bytes = read_limited(stdin.lock(), MAX_KEY_INPUT, "standard input")?;
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::other(
                    Exit::Malformed,
                    "malformed.text",
                    "malformed key: standard input is not UTF-8 text",
                )
            })?;
            Ok(trim_key(&text).to_string())
        }
    }
}

/// Loads a keyring document (a FIFO or socket is refused unopened: it could block forever).
pub(crate) fn keyring(path: &Path) -> Result<Keyring, Failure> {
    files::check_readable(path, "--keyring")?;
    Keyring::load_json_file(path).map_err(|e| {
        Failure::new(
            format_args!("cannot load keyring {}", output::path(path)),
            &e,
        )
    })
}

/// Refuses a document that does not exist, with the message loading it would give.
pub(crate) fn check_exists(path: &Path, what: &str) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Failure::other(
            Exit::Io,
            "io",
            format!("cannot load {what} {}: {e}", output::path(path)),
        )),
        _ => Ok(()),
    }
}

/// Loads a secret signing key file (PKCS#8 PEM or compact text), refusing files open to
/// group or others, owned by another user or with set-id or sticky bits, and FIFOs.
pub(crate) fn signing_key(path: &Path) -> Result<SigningKey, Failure> {
    files::check_readable(path, "--key")?;
    files::check_secret_file_owner(path)?;
    SigningKey::load_file(path).map_err(|e| match e {
        keyseal::Error::Io { .. } | keyseal::Error::InsecurePermissions { .. } => Failure::bare(&e),
        _ => Failure::new(
            format_args!("cannot load signing key {}", output::path(path)),
            &e,
        ),
    })
}

/// Reads a public key in any of its forms: `keyseal-public-v1_…`, SubjectPublicKeyInfo PEM,
/// JWK, or the bare 43-character base64url form. A secret key is refused with the library's
/// message (never read, never echoed).
pub(crate) fn public_key_text(text: &str) -> Result<PublicKey, keyseal::Error> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        PublicKey::from_spki_pem(text)
    } else if text.starts_with('{') {
        PublicKey::from_jwk(text)
    } else if text.starts_with(PUBLIC_TEXT_PREFIX) || text.starts_with(SECRET_TEXT_PREFIX) {
        PublicKey::from_text(text)
    } else if text.len() == 43 {
        text.parse()
    } else {
        PublicKey::from_text(text)
    }
}

/// The public key in a file: a public key in any form, or a secret key file (PKCS#8 PEM or
/// compact text, with its permissions checked) whose public half is taken.
pub(crate) fn public_key_file(path: &Path) -> Result<PublicKey, Failure> {
    files::check_readable(path, "--key")?;
    let bytes = read_file(path, MAX_TEXT_FILE)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Failure::other(
            Exit::Invalid,
            "not_text",
            format!("{} is not a text key file", output::path(path)),
        )
    })?;
    let start = text.trim_start();
    if start.starts_with("-----BEGIN PRIVATE KEY") || start.starts_with(SECRET_TEXT_PREFIX) {
        return Ok(signing_key(path)?.public_key());
    }
    public_key_text(text).map_err(|e| {
        Failure::new(
            format_args!("cannot read public key {}", output::path(path)),
            &e,
        )
    })
}

/// Reads a revocation list file, refusing one larger than the format allows, and a FIFO or
/// socket unopened.
pub(crate) fn list_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    files::check_readable(path, "--revocations")?;
    let limit = u64::try_from(MAX_LIST_BYTES).unwrap_or(u64::MAX);
    read_file(path, limit)
}

/// Parses an option value as a UTC time (`2026-01-31T12:00:00Z`).
pub(crate) fn parse_time(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>().map_err(|e| e.to_string())
}

/// Parses a duration: a positive whole number and a unit, `s`, `m`, `h` or `d`
/// (`90d`, `12h`, `30m`, `3600s`).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration '{s}': expected a positive number and a unit s, m, h or d, like 90d or 12h"
        )
    };
    let split = s.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = (
        s.get(..split).ok_or_else(bad)?,
        s.get(split..).ok_or_else(bad)?,
    );
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    let secs = n.checked_mul(scale).filter(|&s| s > 0).ok_or_else(bad)?;
    if secs > Timestamp::MAX.as_unix() {
        return Err(format!("duration '{s}' is longer than keyseal times reach"));
    }
    Ok(Duration::from_secs(secs))
}

/// Parses a scope option, with the library's grammar.
pub(crate) fn parse_scope(s: &str) -> Result<String, String> {
    keyseal::check_scope(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// Parses an app id option, with the library's grammar.
pub(crate) fn parse_app_id(s: &str) -> Result<String, String> {
    keyseal::check_app_id(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        for bad in [
            "",
            "d",
            "0d",
            "90",
            "-1d",
            "+1d",
            "1.5h",
            "1w",
            "1 d",
            "9999999999999d",
            "٣d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_ascii_whitespace_is_trimmed_around_a_key() {
        assert_eq!(trim_key(" \t\r\nacme_live_A\r\n \t"), "acme_live_A");
        for kept in ['\u{a0}', '\u{3000}', '\u{b}', '\u{c}', '\u{85}', '\u{2028}'] {
            let text = format!("{kept}acme_live_A{kept}");
            assert_eq!(trim_key(&text), text, "{kept:?}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z").map(Timestamp::as_unix),
            Ok(1_767_225_600)
        );
        assert!(parse_time("2026-01-01").is_err());
        assert!(parse_time("tomorrow").is_err());
    }
}
